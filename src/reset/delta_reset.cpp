#include "reset/delta_reset.hpp"

#include <set>

#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "reset/full_reset.hpp"
#include "snapshot/cache.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::reset {
namespace {

// The snapshot's sequences a delta reset sets: all of them, or, where the
// write counts held, those read since they were recorded (and any the
// record does not know).
std::vector<rebuild::SequenceValue> sequences_to_set(pg::Connection& conn, const snapshot::Manifest& manifest,
                                                     const snapshot::WriteCounts* counts) {
    auto all = sequence_values(manifest.sequences);
    if (!counts) return all;
    auto moved = snapshot::sequences_read_since(conn, *counts);
    std::set<std::string> chosen(moved.begin(), moved.end());
    for (const auto& s : manifest.sequences) {
        if (!counts->sequences.contains(s.qualified())) chosen.insert(s.qualified());
    }
    std::vector<rebuild::SequenceValue> out;
    for (auto& value : all) {
        if (chosen.contains(value.qualified)) out.push_back(std::move(value));
    }
    log::detail("{} of {} sequences read since the last reset", out.size(), all.size());
    return out;
}

// After a failed commit: the sequences as they were before the reset set them.
void put_back_sequences(pg::Connection& conn, const std::vector<rebuild::SequenceValue>& before) {
    try {
        conn.exec("ROLLBACK");
        rebuild::set_sequences(conn, before);
    } catch (const std::exception& e) {
        log::error("could not put back the {} sequences the failed reset had set: {}", before.size(), e.what());
        log::error("HINT: run \"sandboxctl reset\" again: it sets them to the snapshot's values with the rows");
    }
}

}  // namespace

ResetResult delta_reset(pg::Connection& conn, const std::string& name, const snapshot::Manifest& manifest,
                        const snapshot::Baseline& baseline, const ResetPath& path,
                        const snapshot::WriteCounts* counts) {
    ResetResult result{name, false, ""};
    interrupt::phase_boundary("delta");
    auto dirty = snapshot::dirty_tables(conn);
    std::vector<unsigned> oids;
    for (const auto& d : dirty) oids.push_back(d.oid);
    catalog::SourceCatalog tables;
    tables.relations = catalog::read_shapes(conn, oids);
    result.delta = snapshot::restore_from_cache(conn, dirty, tables);
    auto sequences = sequences_to_set(conn, manifest, path.counts_held ? counts : nullptr);
    snapshot::clear_changes(conn);
    if (result.delta.rewrote_catalog) {
        snapshot::write_baseline(conn, name, expected_fingerprint(manifest, baseline));
    } else {
        snapshot::write_baseline_after_delta(conn, baseline, expected_fingerprint(manifest, baseline), path.signal);
    }
    interrupt::phase_boundary("commit");
    // setval is not transactional: last, and undone by hand if the commit
    // does not happen, so that a failed reset leaves rows and sequences as
    // they were.
    auto before = rebuild::current_sequence_values(conn, sequences);
    try {
        result.sequences_set = rebuild::set_sequences(conn, sequences);
        conn.exec("COMMIT");
    } catch (...) {
        put_back_sequences(conn, before);
        throw;
    }
    return result;
}

void record_write_counts(pg::Connection& conn, const std::filesystem::path& file, const snapshot::Manifest& manifest,
                         const std::optional<snapshot::WriteCounts>& known) {
    try {
        if (!snapshot::write_counts_trustworthy(conn)) return;
        conn.exec("BEGIN READ ONLY");
        auto baseline = snapshot::read_baseline(conn);
        conn.exec("COMMIT");
        if (!baseline) return;
        snapshot::save_write_counts(
            file, snapshot::take_write_counts(conn, baseline_id(*baseline), manifest.sequences, known));
    } catch (const Error& e) {
        log::warning("could not record the write counts for the next reset ({}); it will read the catalogs instead",
                     e.what());
    }
}

}  // namespace sandboxctl::reset
