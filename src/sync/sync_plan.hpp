#pragma once
// What a run changes, decided from the two listings alone (pure). A real run
// carries it out; a dry run reports it.
#include <string>
#include <utility>
#include <vector>

#include "sync/sync_report.hpp"
#include "sync/tree.hpp"

namespace sandboxctl::sync {

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

// Plans making `existing` equal to `source`. `remove_extra` is --delete.
SyncPlan plan_sync(const Tree& source, const Tree& existing, bool checksum, bool remove_extra);
// The report a real run carrying out `plan` gives, marked as a dry run.
SyncReport predicted_report(const SyncPlan& plan);

}  // namespace sandboxctl::sync
