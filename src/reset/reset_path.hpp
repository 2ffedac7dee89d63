#pragma once
// Which reset the sandbox calls for: delta (the rows the change log names,
// put back from the golden cache) when nothing since the last reset could
// make it miss a change, else full, with the reason.
#include <chrono>
#include <optional>
#include <string>

#include "pg/connection.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/tracking.hpp"
#include "snapshot/write_counts.hpp"

namespace sandboxctl::reset {

// Which reset the sandbox calls for, as the caller's transaction sees it.
struct ResetPath {
    std::string why_full;      // "" for a delta reset
    bool cache_sound = false;  // the cache holds the snapshot, untouched since the baseline sealed it
    std::string signal;        // the catalog signal, as this transaction sees it
    bool counts_held = false;  // the recorded write counts showed no catalog write (write_counts.hpp)
};

// The snapshot's schema fingerprint: the manifest's, or, for a snapshot whose
// fingerprint has an older format, the one the last full reset computed from
// the schema it rebuilt.
std::string expected_fingerprint(const snapshot::Manifest& manifest, const snapshot::Baseline& baseline);

// The baseline a record of write counts follows.
std::string baseline_id(const snapshot::Baseline& baseline);

// Why a delta reset cannot be trusted to reach snapshot `name`, or "" if it
// can: the log must count from that snapshot, the cache hold it, the schema
// match it, and neither tracking nor cache may have been altered since the
// last reset. Every such change is a catalog write, which moves the catalog
// signal: while it holds the baseline's value, nothing was, and the seals
// (see snapshot/tracking.hpp and snapshot/cache.hpp) are read only once it
// moved. `counts`, write counts recorded after this baseline and
// trustworthy now, answer the same question without reading the catalogs.
ResetPath choose_path(pg::Connection& conn, const std::optional<snapshot::Baseline>& baseline, const std::string& name,
                      const snapshot::Manifest& manifest, const snapshot::WriteCounts* counts = nullptr);

// Whether the reset will be a delta one, as far as can be told before
// exclusive access (the decision is taken again under it). Only read; a
// lock the application holds makes the answer "no", the safe side.
bool delta_expected(pg::Connection& conn, const std::string& role, std::chrono::milliseconds lock_timeout,
                    const std::optional<snapshot::Baseline>& baseline, const std::string& name,
                    const snapshot::Manifest& manifest);

}  // namespace sandboxctl::reset
