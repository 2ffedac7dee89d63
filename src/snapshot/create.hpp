#pragma once
// `snapshot create`: the sandbox captured as a golden snapshot.
#include <string>

#include "config/settings.hpp"
#include "plan/session_setup.hpp"
#include "snapshot/manifest.hpp"

namespace sandboxctl::snapshot {

// Captures the sandbox at one snapshot into the store: schema archive,
// per-table zstd data, checksums, sequence states. Sets up change tracking
// first (so writes after the snapshot are logged) and rebuilds the golden
// cache and the tracking baseline from the same snapshot.
Manifest create_snapshot(plan::Target& target, const config::Settings& settings, const std::string& name, bool replace);

}  // namespace sandboxctl::snapshot
