#pragma once
// `sandboxctl sync-files`: makes a destination tree equal to a source tree,
// transferring only new or changed entries in one tar stream. The source is
// only read. Files are written under a temporary name and renamed into place,
// so an interrupted sync never leaves a truncated file under a final name.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "sync/location.hpp"

namespace sandboxctl::sync {

struct SyncOptions {
    Location from;
    Location to;
    bool remove_extra = false;  // --delete
    bool checksum = false;
    bool dry_run = false;
    std::optional<std::pair<unsigned, unsigned>> chown;
};

struct SyncReport {
    long long files_transferred = 0;
    long long bytes_transferred = 0;
    long long symlinks_transferred = 0;
    long long directories_created = 0;
    long long unchanged = 0;
    long long attributes_updated = 0;
    std::vector<std::string> deleted;
    std::vector<std::pair<std::string, std::string>> refused;  // path, reason
    bool dry_run = false;
};

SyncReport sync_files(const SyncOptions& options);
void print_text(const SyncReport& report, std::ostream& out);
nlohmann::json to_json(const SyncReport& report);

// Syncs every [[files.pair]] of the configuration, in order.
std::vector<SyncReport> sync_configured_pairs(const config::Settings& settings, bool dry_run);

// "UID:GID" -> numbers; throws a usage error otherwise.
std::pair<unsigned, unsigned> parse_owner(const std::string& text);

}  // namespace sandboxctl::sync
