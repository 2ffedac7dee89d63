#pragma once
// `reset`: the sandbox returned to a golden snapshot, delta or full, in the
// maintenance window it shares with refresh (maintenance/window.hpp).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "output/follow_up.hpp"
#include "plan/session_setup.hpp"
#include "profiles/profile.hpp"
#include "rebuild/keep.hpp"
#include "snapshot/cache.hpp"
#include "snapshot/snapshot_rows.hpp"

namespace sandboxctl::reset {

struct ResetResult {
    std::string snapshot;
    bool full = false;
    std::string why_full;  // empty for a delta reset
    snapshot::DeltaStats delta = {};
    long long rows_loaded = 0;  // full reset
    int tables_loaded = 0;      // full reset
    int sequences_set = 0;
    // Full reset: the [[refresh.keep]] rows written back over the snapshot's.
    // A delta reset keeps none: it puts back the golden state, where the kept
    // rows are as they were when the snapshot was taken.
    std::vector<rebuild::KeptTable> kept{};
    std::chrono::nanoseconds elapsed{};
    // Full reset: what each configured application profile did.
    std::vector<profiles::Outcome> profiles{};
    // Steps after the commit that failed (restarting the workloads): the
    // reset stands, the run exits 5 after its report.
    std::vector<output::FollowUpFailure> follow_up_failures{};
};

// Returns the sandbox to snapshot `name` (default: the tracking baseline):
// delta by default, full when the schema drifted, the baseline or cache is
// another snapshot's, or `force_full`. One transaction, exclusive access.
//
// A snapshot goes only into the sandbox it was taken of (its mark), or, with
// `member_mark`, into a pool member the pool's record lists for it
// (pool/record.hpp): the target must then carry that mark. `table_reader`:
// where a full reset takes the tables' bytes from (empty: the snapshot's
// files; see snapshot::TableReader).
ResetResult reset_sandbox(plan::Target& target, const config::Settings& settings,
                          const std::optional<std::string>& name, bool force_full,
                          const std::optional<std::string>& member_mark = std::nullopt,
                          const snapshot::TableReader& table_reader = {});

}  // namespace sandboxctl::reset
