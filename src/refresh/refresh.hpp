#pragma once
// `sandboxctl refresh`: replaces the sandbox's content with the source's, in one
// target transaction (clean, schema, data, sequences, post-data, post-refresh
// SQL), so that any failure or interrupt leaves the sandbox as it was.
#include <functional>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "plan/session_setup.hpp"
#include "refresh/report.hpp"

namespace sandboxctl::refresh {

// What runs after the commit and the file sync, once other sessions may
// connect again but before the stopped [kubernetes] workloads come back:
// what must not see the application's start-up writes (`--snapshot`). It is
// given the refresh's own target session, which holds the run lock; its
// failures go into the report's follow-up failures.
using AfterCommit = std::function<void(plan::Target& target, RefreshReport& report)>;

refresh::RefreshReport run_refresh(const config::Settings& settings, const AfterCommit& after_commit = {});

}  // namespace sandboxctl::refresh
