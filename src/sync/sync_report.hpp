#pragma once
// What a sync did (or, for a dry run, would do), as text and as JSON.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace sandboxctl::sync {

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

// The summary; a dry run's says what would be done ("would transfer").
void print_text(const SyncReport& report, std::ostream& out);
nlohmann::json to_json(const SyncReport& report);

}  // namespace sandboxctl::sync
