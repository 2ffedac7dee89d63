#pragma once
// What a refresh did, as facts: objects copied and left out (with reasons),
// rows and bytes per table, time per phase. Rendered as text for people and
// as JSON (--json FILE) for machines; both come from this one structure.
#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "copy/copy_statements.hpp"
#include "masking/report.hpp"
#include "output/follow_up.hpp"
#include "output/phase_timer.hpp"
#include "plan/copy_plan.hpp"
#include "profiles/profile.hpp"
#include "rebuild/keep.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::refresh {

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
    std::vector<copy::TableCopy> tables;
    std::vector<plan::Exclusion> excluded;
    std::vector<plan::Exclusion> data_excluded;
    std::vector<rebuild::KeptTable> kept;  // [[refresh.keep]]
    masking::Summary masking;              // what was masked on the way
    std::vector<std::string> post_sql;
    std::vector<output::Phase> phases;
    int sessions_ended = 0;
    std::string sandbox_mark;  // the target's sandbox mark (safety/sandbox_mark.hpp)
    bool marked_now = false;   // this refresh marked it
    bool committed = false;
    // Steps after the commit that failed (file sync, snapshot, JSON report):
    // the refresh stands, the run exits 5 naming each.
    std::vector<output::FollowUpFailure> follow_up_failures;
    std::optional<SnapshotSummary> snapshot;
    // What each configured application profile did.
    std::vector<profiles::Outcome> profiles;

    long long total_rows() const;
    long long total_bytes() const;
    std::chrono::nanoseconds total_time() const;
};

void print_text(const RefreshReport& report, std::ostream& out);
nlohmann::json to_json(const RefreshReport& report);
}  // namespace sandboxctl::refresh
