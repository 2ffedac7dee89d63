#pragma once
// `sandboxctl sync-files`: makes a destination tree equal to a source tree,
// transferring only new or changed entries in one tar stream. The source is
// only read. Files are written under a temporary name and renamed into place,
// so an interrupted sync never leaves a truncated file under a final name.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "sync/location.hpp"
#include "sync/sync_options.hpp"
#include "sync/sync_plan.hpp"
#include "sync/sync_report.hpp"
#include "sync/tree.hpp"

namespace sandboxctl::sync {

// Refuses trees that contain one another (usage error) before anything is
// listed or changed; a dry run lists both sides and changes nothing.
SyncReport sync_files(const SyncOptions& options);

// The same checks alone: for refresh --with-files, before it connects.
void check_configured_pairs(const config::Settings& settings, std::string_view command);
// Syncs every [[files.pair]] of the configuration, in order, once all are checked.
std::vector<SyncReport> sync_configured_pairs(const config::Settings& settings, bool dry_run,
                                              std::string_view command = "syncing the configured files");

// "UID:GID" -> numbers; throws a usage error otherwise.
std::pair<unsigned, unsigned> parse_owner(const std::string& text);

}  // namespace sandboxctl::sync
