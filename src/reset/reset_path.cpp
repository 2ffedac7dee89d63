#include "reset/reset_path.hpp"

#include "core/log.hpp"
#include "snapshot/cache.hpp"
#include "snapshot/fingerprint.hpp"
#include "snapshot/sandbox_tables.hpp"

namespace sandboxctl::reset {

std::string expected_fingerprint(const snapshot::Manifest& manifest, const snapshot::Baseline& baseline) {
    return snapshot::has_current_format(manifest.schema_fingerprint) ? manifest.schema_fingerprint
                                                                     : baseline.fingerprint;
}

std::string baseline_id(const snapshot::Baseline& baseline) { return baseline.snapshot + " at " + baseline.since; }

ResetPath choose_path(pg::Connection& conn, const std::optional<snapshot::Baseline>& baseline, const std::string& name,
                      const snapshot::Manifest& manifest, const snapshot::WriteCounts* counts) {
    if (!baseline) {
        return {snapshot::tracking_installed(conn) ? "the database has no baseline snapshot"
                                                   : "the database has no change tracking (never snapshotted)",
                false, ""};
    }
    auto cached = snapshot::cached_snapshot(conn);
    bool cache_holds_it = cached && *cached == manifest.instance() && !baseline->cache_seal.empty();
    ResetPath path;
    if (counts && counts->baseline == baseline_id(*baseline) &&
        snapshot::catalog_write_counts(conn) == counts->catalogs) {
        path.signal = baseline->signal;
        path.counts_held = true;
    } else {
        path.signal = snapshot::catalog_signal(conn);
    }
    bool untouched = path.signal == baseline->signal;
    path.cache_sound = cache_holds_it && (untouched || snapshot::cache_seal(conn) == baseline->cache_seal);
    auto fingerprint = expected_fingerprint(manifest, *baseline);
    if (baseline->snapshot != name) {
        path.why_full = "the change log counts from snapshot \"" + baseline->snapshot + "\"";
    } else if (!cache_holds_it) {
        path.why_full = "the golden cache holds another snapshot";
    } else if (!snapshot::has_current_seal_format(baseline->tracking_seal) ||
               !snapshot::has_current_format(fingerprint)) {
        path.why_full = "the change tracking was set up by an older sandboxctl";
    } else if (untouched) {
        return path;
    } else if (snapshot::schema_fingerprint(conn) != fingerprint) {
        path.why_full = "the schema changed since the snapshot";
    } else if (snapshot::tracking_seal(conn) != baseline->tracking_seal) {
        path.why_full = "the change tracking was altered since the last reset";
    } else if (!path.cache_sound) {
        path.why_full = "the golden cache was altered since the last reset";
    }
    return path;
}

bool delta_expected(pg::Connection& conn, const std::string& role, std::chrono::milliseconds lock_timeout,
                    const std::optional<snapshot::Baseline>& baseline, const std::string& name,
                    const snapshot::Manifest& manifest) {
    try {
        snapshot::begin_as(conn, role, "BEGIN READ ONLY", lock_timeout);
        bool expected = choose_path(conn, baseline, name, manifest).why_full.empty();
        conn.exec("ROLLBACK");
        return expected;
    } catch (const Error& e) {
        log::detail("delta reset not expected: {}", e.what());
        conn.exec("ROLLBACK");
        return false;
    }
}

}  // namespace sandboxctl::reset
