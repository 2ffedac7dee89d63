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
#include "sync/tree.hpp"

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
    bool dry_run = false;                                      // the counts are what a real run would do
};

// What a run changes, decided from the two listings alone. A real run
// carries it out; a dry run reports it.
struct SyncPlan {
    std::vector<std::string> replaced;  // type changed: removed before the transfer
    std::vector<std::string> created_directories;
    std::vector<std::string> to_send;                          // files and symlinks
    std::vector<std::pair<std::string, Entry>> attributes;     // mode/mtime to set, deepest first
    std::vector<std::string> deleted;                          // with --delete, deepest first
    std::vector<std::pair<std::string, std::string>> refused;  // path, reason
    long long files = 0, symlinks = 0, bytes = 0;              // of to_send
    long long unchanged = 0;
};

// Plans making `existing` equal to `source` (pure). `remove_extra` is --delete.
SyncPlan plan_sync(const Tree& source, const Tree& existing, bool checksum, bool remove_extra);
// The report a real run carrying out `plan` gives, marked as a dry run.
SyncReport predicted_report(const SyncPlan& plan);

// Refuses trees that contain one another (usage error) before anything is
// listed or changed; a dry run lists both sides and changes nothing.
SyncReport sync_files(const SyncOptions& options);
// The summary; a dry run's says what would be done ("would transfer").
void print_text(const SyncReport& report, std::ostream& out);
nlohmann::json to_json(const SyncReport& report);

// The [[files.pair]] trees of the configuration, every one checked
// (locations, --chown, trees apart) before any is synced. Throws a usage
// error naming the pair, or naming `command` when there is none.
std::vector<SyncOptions> configured_pairs(const config::Settings& settings, bool dry_run, std::string_view command);
// The same checks alone: for refresh --with-files, before it connects.
void check_configured_pairs(const config::Settings& settings, std::string_view command);
// Syncs every [[files.pair]] of the configuration, in order, once all are checked.
std::vector<SyncReport> sync_configured_pairs(const config::Settings& settings, bool dry_run,
                                              std::string_view command = "syncing the configured files");

// "UID:GID" -> numbers; throws a usage error otherwise.
std::pair<unsigned, unsigned> parse_owner(const std::string& text);

}  // namespace sandboxctl::sync
