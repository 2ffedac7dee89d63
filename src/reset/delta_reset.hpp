#pragma once
// The delta reset: the rows the change log names since the last reset, put
// back from the golden cache inside the sandbox, and the sequences set; one
// transaction.
#include <filesystem>
#include <optional>
#include <string>

#include "pg/connection.hpp"
#include "reset/reset.hpp"
#include "reset/reset_path.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/tracking.hpp"
#include "snapshot/write_counts.hpp"

namespace sandboxctl::reset {

// Puts back, from the golden cache, the rows the change log names, in the
// caller's transaction as the sandbox role, and commits. A failed commit
// leaves rows and sequences as they were.
ResetResult delta_reset(pg::Connection& conn, const std::string& name, const snapshot::Manifest& manifest,
                        const snapshot::Baseline& baseline, const ResetPath& path, const snapshot::WriteCounts* counts);

// After the commit, still holding exclusive access, and only when it ended
// every other session (a session left running could write after this
// reset's checks and have its write counted as if the baseline held it): the
// write counts the next reset compares with. A failure only costs that reset
// its shortcut.
void record_write_counts(pg::Connection& conn, const std::filesystem::path& file, const snapshot::Manifest& manifest,
                         const std::optional<snapshot::WriteCounts>& known);

}  // namespace sandboxctl::reset
