#include "snapshot/operations.hpp"

#include <fmt/format.h>

#include <ctime>

#include "catalog/name_pattern.hpp"
#include "copy/copy_statements.hpp"
#include "core/failpoint.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/own_schemas.hpp"
#include "core/temp_dir.hpp"
#include "kubernetes/workloads.hpp"
#include "pg/copy_stream.hpp"
#include "plan/copy_plan.hpp"
#include "profiles/registry.hpp"
#include "rebuild/keep.hpp"
#include "rebuild/steps.hpp"
#include "safety/exclusive_access.hpp"
#include "safety/records.hpp"
#include "safety/run_lock.hpp"
#include "safety/sandbox_mark.hpp"
#include "safety/state_path.hpp"
#include "schema/pg_tools.hpp"
#include "schema/script_runner.hpp"
#include "schema/toc.hpp"
#include "snapshot/file_check.hpp"
#include "snapshot/fingerprint.hpp"
#include "snapshot/snapshot_rows.hpp"
#include "snapshot/store.hpp"
#include "snapshot/tracking.hpp"
#include "snapshot/write_counts.hpp"
#include "snapshot/zstd_file.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::snapshot {
namespace {

constexpr int zstd_level = 3;

std::string utc_now() {
    std::time_t now = std::time(nullptr);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    return buffer;
}

// The sandbox's own objects, minus sandboxctl's tracking and cache schemas.
plan::CopyPlan sandbox_plan(const catalog::SourceCatalog& catalog, const std::string& role) {
    plan::PlanOptions options;
    options.source_role = role;
    options.exclude.emplace_back(std::string(own_schemas::tracking) + ".*", "internal");
    options.exclude.emplace_back(std::string(own_schemas::cache) + ".*", "internal");
    return plan::make_plan(catalog, options);
}

// Tables that get tracking triggers: row tables and partitioned parents.
std::vector<const catalog::Relation*> trackable(const plan::CopyPlan& plan) {
    std::vector<const catalog::Relation*> out;
    for (const auto* r : plan.relations) {
        if (r->relkind == 'r' || r->relkind == 'p') out.push_back(r);
    }
    return out;
}

void begin_as(pg::Connection& conn, const std::string& role, const char* begin,
              std::chrono::milliseconds lock_timeout) {
    conn.exec(begin);
    conn.exec(fmt::format("SET LOCAL lock_timeout = {}", lock_timeout.count()));
    conn.exec("SET LOCAL ROLE " + conn.quote_identifier(role));
}

TableEntry write_table(pg::Connection& conn, const catalog::Relation& table, const std::filesystem::path& dir,
                       int index) {
    TableEntry entry{table.schema, table.name, fmt::format("data/{:05}.zst", index), table.binary_copy_safe,
                     table.copy_columns};
    ZstdWriter writer(dir / entry.file, zstd_level);
    auto statements = copy::copy_statements(table, false);
    auto counters = pg::copy_out(conn, statements.out, [&](std::string_view data) { writer.write(data); });
    entry.rows = copy::rows_copied(statements, counters);
    entry.bytes = counters.bytes;
    entry.sha256 = writer.finish();
    entry.compressed_bytes = writer.compressed_bytes();
    auto hash = verify::hash_table(conn, table.qualified());
    entry.content_hash = hash.digest;
    return entry;
}

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

enum class CacheUse { reuse_if_sound, rebuild };

// After a full reset: tracking is installed afresh; the cache, which belongs
// to the login and survived, is reused if it holds this snapshot (this very
// creation of it) and its seal was intact. The baseline records the
// snapshot's fingerprint, computed now from the rebuilt schema if the
// manifest's has an older format.
void install_tracking_and_cache(pg::Connection& conn, const std::string& role, const Manifest& manifest,
                                CacheUse cache_use) {
    auto catalog = catalog::read_catalog(conn);
    auto plan = sandbox_plan(catalog, role);
    install_tracking(conn, trackable(plan));
    if (cache_use == CacheUse::reuse_if_sound && cached_snapshot(conn) == manifest.instance()) {
        grant_cache(conn, role);
    } else {
        build_cache(conn, plan.data, manifest.instance(), role);
    }
    clear_changes(conn);
    auto fingerprint =
        has_current_format(manifest.schema_fingerprint) ? manifest.schema_fingerprint : schema_fingerprint(conn);
    write_baseline(conn, manifest.name, fingerprint);
}

std::vector<rebuild::SequenceValue> sequence_values(const std::vector<SequenceEntry>& sequences) {
    std::vector<rebuild::SequenceValue> values;
    for (const auto& s : sequences) values.push_back({s.qualified(), s.last_value, s.is_called});
    return values;
}

// The shared rebuild (the steps of a refresh) with rows from the snapshot's
// files, then tracking and cache; one transaction.
ResetResult full_reset(plan::Target& target, pg::Connection& control, const config::Settings& settings,
                       const Store& store, const Manifest& manifest, std::string why, CacheUse cache_use) {
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
    SnapshotRowSource rows(dir, manifest);
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
            drop_cache(conn);
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
        safety::rethrow_naming_lock_holders(control, {conn.backend_pid()});
    }
    failpoint::reach("committed");
    return result;
}

// The snapshot's schema fingerprint: the manifest's, or, for a snapshot whose
// fingerprint has an older format, the one the last full reset computed from
// the schema it rebuilt.
std::string expected_fingerprint(const Manifest& manifest, const Baseline& baseline) {
    return has_current_format(manifest.schema_fingerprint) ? manifest.schema_fingerprint : baseline.fingerprint;
}

// Which reset the sandbox calls for, as the caller's transaction sees it.
struct ResetPath {
    std::string why_full;      // "" for a delta reset
    bool cache_sound = false;  // the cache holds the snapshot, untouched since the baseline sealed it
    std::string signal;        // the catalog signal, as this transaction sees it
    bool counts_held = false;  // the recorded write counts showed no catalog write (write_counts.hpp)
};

// The baseline a record of write counts follows.
std::string baseline_id(const Baseline& baseline) { return baseline.snapshot + " at " + baseline.since; }

// Why a delta reset cannot be trusted to reach snapshot `name`, or "" if it
// can: the log must count from that snapshot, the cache hold it, the schema
// match it, and neither tracking nor cache may have been altered since the
// last reset. Every such change is a catalog write, which moves the catalog
// signal: while it holds the baseline's value, nothing was, and the seals
// (see tracking.hpp and cache.hpp) are read only once it moved. `counts`,
// write counts recorded after this baseline and trustworthy now, answer the
// same question without reading the catalogs.
ResetPath choose_path(pg::Connection& conn, const std::optional<Baseline>& baseline, const std::string& name,
                      const Manifest& manifest, const WriteCounts* counts = nullptr) {
    if (!baseline) {
        return {tracking_installed(conn) ? "the database has no baseline snapshot"
                                         : "the database has no change tracking (never snapshotted)",
                false, ""};
    }
    auto cached = cached_snapshot(conn);
    bool cache_holds_it = cached && *cached == manifest.instance() && !baseline->cache_seal.empty();
    ResetPath path;
    if (counts && counts->baseline == baseline_id(*baseline) && catalog_write_counts(conn) == counts->catalogs) {
        path.signal = baseline->signal;
        path.counts_held = true;
    } else {
        path.signal = catalog_signal(conn);
    }
    bool untouched = path.signal == baseline->signal;
    path.cache_sound = cache_holds_it && (untouched || cache_seal(conn) == baseline->cache_seal);
    auto fingerprint = expected_fingerprint(manifest, *baseline);
    if (baseline->snapshot != name) {
        path.why_full = "the change log counts from snapshot \"" + baseline->snapshot + "\"";
    } else if (!cache_holds_it) {
        path.why_full = "the golden cache holds another snapshot";
    } else if (!has_current_seal_format(baseline->tracking_seal) || !has_current_format(fingerprint)) {
        path.why_full = "the change tracking was set up by an older sandboxctl";
    } else if (untouched) {
        return path;
    } else if (schema_fingerprint(conn) != fingerprint) {
        path.why_full = "the schema changed since the snapshot";
    } else if (tracking_seal(conn) != baseline->tracking_seal) {
        path.why_full = "the change tracking was altered since the last reset";
    } else if (!path.cache_sound) {
        path.why_full = "the golden cache was altered since the last reset";
    }
    return path;
}

// Whether the reset will be a delta one, as far as can be told before
// exclusive access (the decision is taken again under it). Only read; a
// lock the application holds makes the answer "no", the safe side.
bool delta_expected(pg::Connection& conn, const std::string& role, std::chrono::milliseconds lock_timeout,
                    const std::optional<Baseline>& baseline, const std::string& name, const Manifest& manifest) {
    try {
        begin_as(conn, role, "BEGIN READ ONLY", lock_timeout);
        bool expected = choose_path(conn, baseline, name, manifest).why_full.empty();
        conn.exec("ROLLBACK");
        return expected;
    } catch (const Error& e) {
        log::detail("delta reset not expected: {}", e.what());
        conn.exec("ROLLBACK");
        return false;
    }
}

// The snapshot's sequences a delta reset sets: all of them, or, where the
// write counts held, those read since they were recorded (and any the
// record does not know).
std::vector<rebuild::SequenceValue> sequences_to_set(pg::Connection& conn, const Manifest& manifest,
                                                     const WriteCounts* counts) {
    auto all = sequence_values(manifest.sequences);
    if (!counts) return all;
    auto moved = sequences_read_since(conn, *counts);
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

// Puts back, from the golden cache, the rows the change log names; commits.
ResetResult delta_reset(pg::Connection& conn, const std::string& name, const Manifest& manifest,
                        const Baseline& baseline, const ResetPath& path, const WriteCounts* counts) {
    ResetResult result{name, false, ""};
    interrupt::phase_boundary("delta");
    auto dirty = dirty_tables(conn);
    std::vector<unsigned> oids;
    for (const auto& d : dirty) oids.push_back(d.oid);
    catalog::SourceCatalog tables;
    tables.relations = catalog::read_shapes(conn, oids);
    result.delta = restore_from_cache(conn, dirty, tables);
    auto sequences = sequences_to_set(conn, manifest, path.counts_held ? counts : nullptr);
    clear_changes(conn);
    if (result.delta.rewrote_catalog) {
        write_baseline(conn, name, expected_fingerprint(manifest, baseline));
    } else {
        write_baseline_after_delta(conn, baseline, expected_fingerprint(manifest, baseline), path.signal);
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

// After the commit, still holding exclusive access, and only when it ended
// every other session (a session left running could write after this
// reset's checks and have its write counted as if the baseline held it): the
// write counts the next reset compares with. A failure only costs that reset
// its shortcut.
void record_write_counts(pg::Connection& conn, const std::filesystem::path& file, const Manifest& manifest,
                         const std::optional<WriteCounts>& known) {
    try {
        if (!write_counts_trustworthy(conn)) return;
        conn.exec("BEGIN READ ONLY");
        auto baseline = read_baseline(conn);
        conn.exec("COMMIT");
        if (!baseline) return;
        save_write_counts(file, take_write_counts(conn, baseline_id(*baseline), manifest.sequences, known));
    } catch (const Error& e) {
        log::warning("could not record the write counts for the next reset ({}); it will read the catalogs instead",
                     e.what());
    }
}

}  // namespace

Manifest create_snapshot(plan::Target& target, const config::Settings& settings, const std::string& name,
                         bool replace) {
    Store store(settings.snapshot_dir);
    Store::validate_name(name);
    if (store.exists(name) && !replace) {
        throw usage_error("snapshot \"" + name + "\" already exists",
                          "Delete it first (\"sandboxctl snapshot delete " + name + "\") or pass --replace.");
    }
    auto& conn = target.conn;
    safety::RunLock lock(conn, "snapshot create");
    // Tracking triggers go onto every table: never onto a database that is
    // not a sandbox (prod named by mistake).
    safety::restore_mark(conn, safety::recorded_mark(conn, settings.state_dir), target.role);
    safety::require_mark(conn, "", "create snapshot \"" + name + "\"");
    const std::string sandbox_id = safety::read_mark(conn)->id;
    Staging staging(store, name);

    // Tracking first, committed: every write after the snapshot is logged.
    // The baseline stays the previous snapshot's until this one is complete.
    interrupt::phase_boundary("tracking");
    begin_as(conn, target.role, "BEGIN", settings.lock_timeout);
    {
        auto previous = read_baseline(conn);
        // Tracking found intact stays trusted once reinstalled (its seal is
        // taken afresh); a broken seal stays broken, so that should this create
        // fail, the next reset is a full one.
        bool intact = previous && !previous->tracking_seal.empty() && tracking_seal(conn) == previous->tracking_seal;
        auto catalog = catalog::read_catalog(conn);
        install_tracking(conn, trackable(sandbox_plan(catalog, target.role)));
        if (previous) put_back_baseline(conn, *previous, intact);
    }
    conn.exec("COMMIT");

    begin_as(conn, target.role, "BEGIN ISOLATION LEVEL REPEATABLE READ", settings.lock_timeout);
    std::string snapshot_id = conn.query_value("SELECT pg_catalog.pg_export_snapshot()");
    auto catalog = catalog::read_catalog(conn);
    auto plan = sandbox_plan(catalog, target.role);
    plan::require_full_visibility(plan);

    Manifest manifest;
    manifest.name = name;
    manifest.id = new_snapshot_id();
    manifest.created_at = utc_now();
    manifest.source = target.info.describe();
    manifest.sandbox_id = sandbox_id;
    manifest.schema_fingerprint = schema_fingerprint(conn);
    conn.exec("SET LOCAL search_path = pg_catalog");
    manifest.hash_settings = output_settings(conn);

    interrupt::phase_boundary("schema dump");
    TempDir work("sandboxctl-snapshot");
    schema::PgTools tools(settings.pg_bin);
    tools.dump_schema(target.info, snapshot_id,
                      {"--exclude-schema=" + std::string(own_schemas::tracking),
                       "--exclude-schema=" + std::string(own_schemas::cache)},
                      staging.path() / manifest.schema_file);
    manifest.schema_sha256 = sha256_of_file(staging.path() / manifest.schema_file);

    int index = 0;
    for (const auto* table : plan.data) {
        interrupt::phase_boundary("table " + table->display());
        log::detail("snapshot {}: {}", name, table->display());
        manifest.tables.push_back(write_table(conn, *table, staging.path(), ++index));
    }
    for (const auto& s : catalog::read_sequence_states(conn, plan.sequences)) {
        manifest.sequences.push_back({s.sequence->schema, s.sequence->name, s.last_value, s.is_called});
    }
    for (const auto* view : plan.matviews) manifest.matviews.push_back(view->qualified());

    // Cache, log and baseline switch to this snapshot in the same transaction,
    // committed only once the snapshot is in place in the store. A run that
    // dies between the two leaves a cache labelled with the old instance, so
    // the next reset is a full one from whatever the store holds.
    interrupt::phase_boundary("cache");
    build_cache(conn, plan.data, manifest.instance(), target.role);
    clear_changes(conn);
    write_baseline(conn, name, manifest.schema_fingerprint);

    save_manifest(manifest, staging.path());
    record_file_stats(staging.path(), manifest);
    interrupt::phase_boundary("publish");
    staging.publish(replace);
    interrupt::phase_boundary("commit");
    conn.exec("COMMIT");
    staging.finish();
    failpoint::reach("committed");
    return manifest;
}

namespace {

// After the commit the application comes back; if it cannot, the reset
// still stands (exit 5) and `unlock` finishes the restore.
// After the commit: a failure to restart the application is the run's
// follow-up failure (exit 5 after the report), not an error that hides it.
void restart_workloads(std::optional<kubernetes::StoppedWorkloads>& stopped, ResetResult& result) {
    if (!stopped) return;
    try {
        stopped->restore();
    } catch (const Error& e) {
        result.follow_up_failures.push_back({"kubernetes",
                                             fmt::format("restarting the stopped workloads failed: {}", e.what()),
                                             "The reset was committed. " + e.hint()});
    }
}

}  // namespace

ResetResult reset_sandbox(plan::Target& target, const config::Settings& settings,
                          const std::optional<std::string>& requested, bool force_full) {
    auto start = std::chrono::steady_clock::now();
    rebuild::check_keep_rules(settings.keep);
    Store store(settings.snapshot_dir);
    auto& conn = target.conn;
    safety::RunLock lock(conn, "reset");
    // The session that takes exclusive access, opened while this one checks.
    auto pending_control = pg::Connection::start(target.info, "reset-control");
    // What a killed run stopped comes back before anything else.
    auto workload_record =
        safety::database_state_file(conn, conn.database(), settings.state_dir, kubernetes::record_kind);
    kubernetes::restore_after_crash(settings.kubernetes, workload_record);

    conn.exec("BEGIN");
    auto baseline = read_baseline(conn);
    conn.exec("COMMIT");
    std::string name = requested ? *requested : baseline ? baseline->snapshot : "";
    if (name.empty()) {
        throw usage_error("no snapshot named and the sandbox has no baseline snapshot",
                          "Create one with \"sandboxctl snapshot create NAME\" and pass it to reset.");
    }
    if (!store.exists(name)) {
        throw usage_error("snapshot \"" + name + "\" does not exist in \"" + store.root().string() + "\"",
                          "List the snapshots with \"sandboxctl snapshot list\".");
    }
    auto manifest = load_manifest(store.path_of(name));
    safety::restore_mark(conn, safety::recorded_mark(conn, settings.state_dir), target.role);
    safety::require_mark(conn, manifest.sandbox_id, "reset to snapshot \"" + name + "\"");
    require_intact(name, check_files(store.path_of(name), manifest, Thoroughness::quick));

    pg::Connection control = pending_control.finish();
    // Every reset takes exclusive access (the application's sessions end), but
    // only a full one stops the application first, like a refresh: a delta
    // reset between two BDD scenarios takes well under a second, stopping and
    // starting the application's pods tens of seconds.
    std::optional<kubernetes::StoppedWorkloads> stopped;
    auto stop_workloads = [&] {
        if (settings.kubernetes && !stopped) stopped.emplace(*settings.kubernetes, workload_record);
    };
    if (settings.kubernetes &&
        (force_full || !delta_expected(conn, target.role, settings.lock_timeout, baseline, name, manifest))) {
        stop_workloads();
    }
    safety::ExclusiveAccess exclusive(control, settings.state_dir, {conn.backend_pid()});
    auto counts_file = safety::database_state_file(conn, conn.database(), settings.state_dir, write_counts_kind);
    std::optional<WriteCounts> counts;
    if (exclusive.alone() && write_counts_trustworthy(conn)) counts = load_write_counts(counts_file);

    // The cache is checked on every path, --full too: a full reset keeps it.
    std::optional<ResetResult> delta;
    std::string why_full;
    bool cache_sound = false;
    bool counts_held = false;
    try {
        begin_as(conn, target.role, "BEGIN", settings.lock_timeout);
        auto path = choose_path(conn, baseline, name, manifest, counts ? &*counts : nullptr);
        cache_sound = path.cache_sound;
        counts_held = path.counts_held;
        why_full = force_full ? "--full was given" : path.why_full;
        if (why_full.empty()) {
            delta = delta_reset(conn, name, manifest, *baseline, path, counts ? &*counts : nullptr);
        } else {
            conn.exec("ROLLBACK");
        }
    } catch (...) {
        safety::rethrow_naming_lock_holders(control, {conn.backend_pid()});
    }
    if (delta) {
        failpoint::reach("committed");
        if (exclusive.alone()) record_write_counts(conn, counts_file, manifest, counts_held ? counts : std::nullopt);
        exclusive.release();
        restart_workloads(stopped, *delta);
        delta->elapsed = std::chrono::steady_clock::now() - start;
        return *delta;
    }
    log::detail("full reset: {}", why_full);
    // Expected to be a delta one until exclusive access showed otherwise.
    stop_workloads();
    require_intact(name, check_files(store.path_of(name), manifest, Thoroughness::quick));
    auto result = full_reset(target, control, settings, store, manifest, why_full,
                             cache_sound ? CacheUse::reuse_if_sound : CacheUse::rebuild);
    if (exclusive.alone()) record_write_counts(conn, counts_file, manifest, std::nullopt);
    exclusive.release();
    restart_workloads(stopped, result);
    result.elapsed = std::chrono::steady_clock::now() - start;
    return result;
}

}  // namespace sandboxctl::snapshot
