#pragma once
// What a refresh did, as facts: objects copied and left out (with reasons),
// rows and bytes per table, time per phase. Rendered as text for people and
// as JSON (--json FILE) for machines; both come from this one structure.
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "refresh/plan.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::report {

struct TableCopy {
    std::string name;
    long long rows = 0;
    long long bytes = 0;
    std::chrono::nanoseconds elapsed{};
};

struct Phase {
    std::string name;
    std::chrono::nanoseconds elapsed{};
};

// The snapshot `refresh --snapshot` took after the refresh.
struct SnapshotSummary {
    std::string name;
    long long tables = 0;
    long long rows = 0;
    long long sequences = 0;
    long long compressed_bytes = 0;
};

struct RefreshReport {
    std::string source;  // conninfo description, no password
    std::string target;
    std::string source_role;
    std::string target_role;
    std::vector<safety::Check> checks;
    int schema_entries_restored = 0;
    int sequences_set = 0;
    std::vector<TableCopy> tables;
    std::vector<refresh::Exclusion> excluded;
    std::vector<refresh::Exclusion> data_excluded;
    std::vector<std::string> post_sql;
    std::vector<Phase> phases;
    int sessions_ended = 0;
    std::string sandbox_mark;  // the target's sandbox mark (safety/sandbox_mark.hpp)
    bool marked_now = false;   // this refresh marked it
    bool committed = false;
    // Steps after the commit that failed (file sync, snapshot, JSON report):
    // the refresh stands, the run exits 5 naming each.
    struct FollowUpFailure {
        std::string step;
        std::string message;
        std::string hint;
    };
    std::vector<FollowUpFailure> follow_up_failures;
    std::optional<SnapshotSummary> snapshot;

    long long total_rows() const;
    long long total_bytes() const;
    std::chrono::nanoseconds total_time() const;
};

void print_text(const RefreshReport& report, std::ostream& out);
nlohmann::json to_json(const RefreshReport& report);
// Writes JSON atomically (temporary file, then rename).
void write_json_file(const nlohmann::json& document, const std::filesystem::path& path);

// Times a phase from construction to destruction and appends it to `phases`.
class PhaseTimer {
public:
    PhaseTimer(std::vector<Phase>& phases, std::string name);
    ~PhaseTimer();
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

private:
    std::vector<Phase>& phases_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    bool status_line_ = false;
};

}  // namespace sandboxctl::report
