#include "reset/full_reset.hpp"

#include "catalog/catalog.hpp"
#include "core/failpoint.hpp"
#include "core/interrupt.hpp"
#include "core/temp_dir.hpp"
#include "profiles/registry.hpp"
#include "rebuild/steps.hpp"
#include "safety/sandbox_mark.hpp"
#include "schema/pg_tools.hpp"
#include "schema/script_runner.hpp"
#include "schema/toc.hpp"
#include "snapshot/cache.hpp"
#include "snapshot/fingerprint.hpp"
#include "snapshot/sandbox_tables.hpp"
#include "snapshot/snapshot_rows.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::reset {
namespace {

// Tracking triggers are part of the dumped schema (they sit on the tables);
// a restore leaves them out and installs them afresh.
void leave_out_tracking_triggers(std::vector<schema::TocEntry>& entries) {
    for (auto& e : entries) {
        if (e.desc == "TRIGGER" &&
            (e.tag.ends_with(" sandboxctl_track_row") || e.tag.ends_with(" sandboxctl_track_truncate"))) {
            e.keep = false;
        }
    }
}

// After a full reset: tracking is installed afresh; the cache, which belongs
// to the login and survived, is reused if it holds this snapshot (this very
// creation of it) and its seal was intact. The baseline records the
// snapshot's fingerprint, computed now from the rebuilt schema if the
// manifest's has an older format.
void install_tracking_and_cache(pg::Connection& conn, const std::string& role, const snapshot::Manifest& manifest,
                                CacheUse cache_use) {
    auto catalog = catalog::read_catalog(conn);
    auto plan = snapshot::sandbox_plan(catalog, role);
    snapshot::install_tracking(conn, snapshot::trackable(plan));
    if (cache_use == CacheUse::reuse_if_sound && snapshot::cached_snapshot(conn) == manifest.instance()) {
        snapshot::grant_cache(conn, role);
    } else {
        snapshot::build_cache(conn, plan.data, manifest.instance(), role);
    }
    snapshot::clear_changes(conn);
    auto fingerprint = snapshot::has_current_format(manifest.schema_fingerprint) ? manifest.schema_fingerprint
                                                                                 : snapshot::schema_fingerprint(conn);
    snapshot::write_baseline(conn, manifest.name, fingerprint);
}

}  // namespace

std::vector<rebuild::SequenceValue> sequence_values(const std::vector<snapshot::SequenceEntry>& sequences) {
    std::vector<rebuild::SequenceValue> values;
    for (const auto& s : sequences) values.push_back({s.qualified(), s.last_value, s.is_called});
    return values;
}

ResetResult full_reset(plan::Target& target, maintenance::Window& window, const config::Settings& settings,
                       const snapshot::Store& store, const snapshot::Manifest& manifest, std::string why,
                       CacheUse cache_use, const snapshot::TableReader& table_reader) {
    ResetResult result{manifest.name, true, std::move(why)};
    auto& conn = target.conn;
    auto dir = store.path_of(manifest.name);
    TempDir work("sandboxctl-reset");
    schema::PgTools tools(settings.pg_bin);
    auto archive = dir / manifest.schema_file;
    auto entries =
        schema::parse_toc(tools.list(archive), {catalog::read_role_names(conn), catalog::read_schema_names(conn)});
    leave_out_tracking_triggers(entries);

    rebuild::Rebuild steps;
    steps.target_role = target.role;
    steps.lock_timeout = settings.lock_timeout;
    steps.statement_timeout = settings.statement_timeout;
    steps.login_objects = rebuild::LoginObjects::all_but_golden_cache;
    steps.scripts = rebuild::schema_scripts(tools, archive, entries, work);
    steps.sequences = sequence_values(manifest.sequences);
    for (const auto& view : manifest.matviews) steps.matviews.push_back({view, view});
    // No post-refresh SQL: see rebuild::Rebuild::post_sql.
    auto profiles = profiles::open_all(profiles::configured(settings), profiles::Use::reset);
    steps.profiles = profiles::hooks_of(profiles);
    steps.keep = settings.keep;
    // The sandbox's rows become the snapshot's, masked as they were.
    steps.after_clean = [&] { safety::write_masking_state(conn, manifest.masking); };
    snapshot::SnapshotRowSource rows(dir, manifest, table_reader);
    std::vector<output::Phase> phases;
    try {
        conn.exec("BEGIN");
        if (cache_use == CacheUse::rebuild) {
            // Before the clean: DROP OWNED BY the target role revokes its
            // grants on the cache, which rewrites each cache table's pg_class
            // row. An autovacuum of a cache table then waits for this
            // transaction to end before it records its statistics in that
            // row (PostgreSQL's in-place update waits for a concurrent
            // updater), holding its lock on the table; dropping the table
            // after that would wait for the autovacuum: a deadlock. Dropped
            // first, the table is locked before its row is touched.
            schema::apply_rebuild_settings(conn, settings.lock_timeout);
            snapshot::drop_cache(conn);
        }
        auto outcome = rebuild::run(conn, steps, rows, phases);
        for (const auto& t : outcome.tables) result.rows_loaded += t.rows;
        result.tables_loaded = static_cast<int>(outcome.tables.size());
        result.sequences_set = outcome.sequences_set;
        result.profiles = profiles::outcomes_of(profiles);
        result.kept = std::move(outcome.kept);
        schema::apply_rebuild_settings(conn, settings.lock_timeout);
        conn.exec("SET LOCAL ROLE " + conn.quote_identifier(target.role));
        install_tracking_and_cache(conn, target.role, manifest, cache_use);
        interrupt::phase_boundary("commit");
        conn.exec("COMMIT");
    } catch (...) {
        window.rethrow_naming_lock_holders();
    }
    failpoint::reach("committed");
    return result;
}

}  // namespace sandboxctl::reset
