#pragma once
// What changed in a tracked sandbox since its baseline besides rows (those are
// in the change log, tracking.hpp): the schema and the sequences. `status`
// shows them; a reset puts them back (full reset on schema drift).
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::snapshot {

// True when the schema differs from the one `baseline` recorded; the
// fingerprint is computed only when the catalog signal moved. Runs inside the
// caller's transaction.
bool schema_drifted(pg::Connection& conn, const Baseline& baseline);

struct SequenceChange {
    std::string name;      // schema.sequence
    std::string snapshot;  // last value at the snapshot, empty if not yet called
    std::string current;   // empty if not yet called
};

// Sequences of `manifest` whose state differs from the snapshot's (those a
// reset would set); sequences that no longer exist are schema drift.
std::vector<SequenceChange> changed_sequences(pg::Connection& conn, const Manifest& manifest);

}  // namespace sandboxctl::snapshot
