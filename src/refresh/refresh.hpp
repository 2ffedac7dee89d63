#pragma once
// `sandboxctl refresh`: replaces the sandbox's content with the source's, in one
// target transaction (clean, schema, data, sequences, post-data, post-refresh
// SQL), so that any failure or interrupt leaves the sandbox as it was.
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "refresh/report.hpp"

namespace sandboxctl::refresh {

refresh::RefreshReport run_refresh(const config::Settings& settings);

}  // namespace sandboxctl::refresh
