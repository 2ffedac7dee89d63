#include "snapshot/operations.hpp"

#include <fmt/format.h>

#include <ctime>
#include <map>

#include "catalog/name_pattern.hpp"
#include "copy/table_copier.hpp"
#include "core/failpoint.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/temp_dir.hpp"
#include "pg/copy_stream.hpp"
#include "plan/copy_plan.hpp"
#include "safety/exclusive_access.hpp"
#include "safety/run_lock.hpp"
#include "safety/sandbox_mark.hpp"
#include "schema/pg_tools.hpp"
#include "schema/script_runner.hpp"
#include "schema/toc.hpp"
#include "snapshot/file_check.hpp"
#include "snapshot/fingerprint.hpp"
#include "snapshot/store.hpp"
#include "snapshot/tracking.hpp"
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
    options.exclude.emplace_back(std::string(tracking_schema) + ".*", "internal");
    options.exclude.emplace_back(std::string(cache_schema) + ".*", "internal");
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

// Session settings that shape a row's text form, hence verify::hash_table's
// digest: a reset checks content hashes under the settings they were taken with.
std::map<std::string, std::string> output_settings(pg::Connection& conn) {
    auto r =
        conn.exec("SELECT n, pg_catalog.current_setting(n) FROM unnest(ARRAY['DateStyle', 'IntervalStyle', 'TimeZone', "
                  "'extra_float_digits', 'bytea_output', 'lc_monetary', 'search_path']) AS n");
    std::map<std::string, std::string> settings;
    for (int row = 0; row < r.rows(); ++row) settings[r.get(row, 0)] = r.get(row, 1);
    return settings;
}

void apply_settings(pg::Connection& conn, const std::map<std::string, std::string>& settings) {
    std::string calls;
    for (const auto& [name, value] : settings) {
        calls += fmt::format("{}pg_catalog.set_config({}, {}, true)", calls.empty() ? "" : ", ",
                             pg::quote_literal(name), pg::quote_literal(value));
    }
    if (!calls.empty()) conn.exec("SELECT " + calls);
}

std::string damaged_hint(const std::string& snapshot) {
    return "Check it with \"sandboxctl snapshot verify " + snapshot +
           "\", then delete it and create it again; the sandbox was not changed.";
}

// Loads one table's data file, then checks that the table holds what the
// snapshot recorded (its content hash): a damaged file is never loaded, even
// one that passes the quick file check or predates zstd frame checksums.
void load_table(pg::Connection& conn, const std::filesystem::path& dir, const Manifest& manifest, const TableEntry& t) {
    std::string columns;
    for (const auto& c : t.columns) columns += (columns.empty() ? "" : ", ") + pg::quote_ident(c);
    std::string what = "table " + t.display() + " from \"" + t.file + "\"";
    enum class Step { starting, reading, sending, finishing } step = Step::starting;
    try {
        pg::CopyIn copy(conn, "COPY " + t.qualified() + (columns.empty() ? "" : " (" + columns + ")") +
                                  " FROM STDIN WITH (" + (t.binary ? "FORMAT binary, " : "") + "FREEZE)");
        step = Step::reading;
        read_zstd_file(dir / t.file, [&](std::string_view chunk) {
            step = Step::sending;
            copy.put(chunk);
            step = Step::reading;
        });
        step = Step::finishing;
        copy.finish();
    } catch (const Error& e) {
        // The file could not be read or decompressed: damage, not a server problem.
        if (step == Step::reading && !interrupt::requested()) {
            throw failure("snapshot \"" + manifest.name + "\" is damaged: could not load " + what + ": " + e.what(),
                          damaged_hint(manifest.name));
        }
        rethrow_with_context("could not load " + what + " of snapshot \"" + manifest.name + "\"");
    }
    if (t.content_hash.empty()) return;
    auto loaded = verify::hash_table(conn, t.qualified());
    if (loaded.digest != t.content_hash) {
        throw failure(fmt::format("snapshot \"{}\" is damaged: {} loaded from \"{}\" does not match the snapshot "
                                  "(content hash {}, recorded {})",
                                  manifest.name, t.display(), t.file, loaded.digest, t.content_hash),
                      damaged_hint(manifest.name));
    }
}

// Sets every sequence whose state differs from the snapshot's (one statement;
// pg_sequence_last_value is NULL for a sequence not yet called).
int set_sequences(pg::Connection& conn, const std::vector<SequenceEntry>& sequences) {
    if (sequences.empty()) return 0;
    std::string names, values, called;
    for (const auto& s : sequences) {
        names += (names.empty() ? "" : ",") + pg::quote_literal(s.qualified());
        values += (values.empty() ? "" : ",") + s.last_value;
        called += (called.empty() ? "" : ",") + std::string(s.is_called ? "true" : "false");
    }
    return static_cast<int>(conn.query_integer(fmt::format(R"(
SELECT count(pg_catalog.setval(seq, v, c)) FROM (
  SELECT seq::pg_catalog.regclass AS seq, v, c
  FROM unnest(ARRAY[{}]::text[], ARRAY[{}]::bigint[], ARRAY[{}]::bool[]) AS s(seq, v, c)) s
WHERE NOT c OR pg_catalog.pg_sequence_last_value(seq) IS DISTINCT FROM v)",
                                                           names, values, called)));
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

schema::TocNames toc_names(pg::Connection& conn) {
    schema::TocNames names;
    auto roles = conn.exec("SELECT rolname FROM pg_catalog.pg_roles ORDER BY length(rolname) DESC");
    for (int row = 0; row < roles.rows(); ++row) names.roles.push_back(roles.get(row, 0));
    auto schemas = conn.exec("SELECT nspname FROM pg_catalog.pg_namespace ORDER BY length(nspname) DESC");
    for (int row = 0; row < schemas.rows(); ++row) names.schemas.push_back(schemas.get(row, 0));
    return names;
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

// What the login owns, except the golden cache (DROP OWNED BY would take it).
void drop_login_objects(pg::Connection& conn) {
    auto statements = conn.exec(R"(
WITH me AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user),
     keep AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname IN ('sandboxctl_golden', 'pg_catalog',
                                                                        'information_schema'))
SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', nspname) FROM pg_catalog.pg_namespace
 WHERE nspowner = (SELECT oid FROM me) AND oid NOT IN (SELECT oid FROM keep)
UNION ALL
SELECT format('DROP %s IF EXISTS %s CASCADE',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass)
  FROM pg_catalog.pg_class c
 WHERE c.relowner = (SELECT oid FROM me) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND c.relnamespace NOT IN (SELECT oid FROM keep)
UNION ALL
SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure) FROM pg_catalog.pg_proc p
 WHERE p.proowner = (SELECT oid FROM me) AND p.pronamespace NOT IN (SELECT oid FROM keep)
UNION ALL
SELECT format('DROP TYPE IF EXISTS %s CASCADE', t.oid::regtype) FROM pg_catalog.pg_type t
 WHERE t.typowner = (SELECT oid FROM me) AND t.typtype IN ('c', 'd', 'e', 'r') AND t.typrelid = 0
   AND t.typnamespace NOT IN (SELECT oid FROM keep))");
    std::string sql;
    for (int row = 0; row < statements.rows(); ++row) sql += statements.get(row, 0) + ";\n";
    if (!sql.empty()) conn.exec(sql);
}

ResetResult full_reset(plan::Target& target, const config::Settings& settings, const Store& store,
                       const Manifest& manifest, std::string why, CacheUse cache_use) {
    ResetResult result{manifest.name, true, std::move(why)};
    auto& conn = target.conn;
    auto dir = store.path_of(manifest.name);
    TempDir work("sandboxctl-reset");
    schema::PgTools tools(settings.pg_bin);
    auto entries = schema::parse_toc(tools.list(dir / manifest.schema_file), toc_names(conn));
    leave_out_tracking_triggers(entries);
    write_private_file(work / "restore.list", schema::render_toc(entries));
    auto pre = schema::split_script(tools.script(dir / manifest.schema_file, work / "restore.list", "pre-data"));
    auto post = schema::split_script(tools.script(dir / manifest.schema_file, work / "restore.list", "post-data"));

    conn.exec("BEGIN");
    interrupt::phase_boundary("clean");
    schema::apply_rebuild_settings(conn, settings.lock_timeout);
    if (conn.user() != target.role) drop_login_objects(conn);
    conn.exec("SET LOCAL ROLE " + conn.quote_identifier(target.role));
    conn.exec("DROP OWNED BY " + conn.quote_identifier(target.role) + " CASCADE");
    interrupt::phase_boundary("pre-data");
    schema::run_script(conn, pre, "pre-data");
    auto session_settings = output_settings(conn);
    apply_settings(conn, manifest.hash_settings);
    for (const auto& t : manifest.tables) {
        interrupt::phase_boundary("table " + t.schema + "." + t.name);
        load_table(conn, dir, manifest, t);
        result.rows_loaded += t.rows;
        ++result.tables_loaded;
    }
    apply_settings(conn, session_settings);
    result.sequences_set = set_sequences(conn, manifest.sequences);
    interrupt::phase_boundary("post-data");
    schema::run_script(conn, post, "post-data");
    for (const auto& view : manifest.matviews) conn.exec("REFRESH MATERIALIZED VIEW " + view);
    schema::apply_rebuild_settings(conn, settings.lock_timeout);
    conn.exec("SET LOCAL ROLE " + conn.quote_identifier(target.role));
    install_tracking_and_cache(conn, target.role, manifest, cache_use);
    interrupt::phase_boundary("commit");
    conn.exec("COMMIT");
    failpoint::reach("committed");
    return result;
}

// The snapshot's schema fingerprint: the manifest's, or, for a snapshot whose
// fingerprint has an older format, the one the last full reset computed from
// the schema it rebuilt.
std::string expected_fingerprint(const Manifest& manifest, const Baseline& baseline) {
    return has_current_format(manifest.schema_fingerprint) ? manifest.schema_fingerprint : baseline.fingerprint;
}

// Why a delta reset cannot be trusted to reach snapshot `name`, or "" if it
// can: the log must count from that snapshot, the cache hold it, the schema
// match it, and neither tracking nor cache may have been altered since the
// last reset (their seals, see tracking.hpp and cache.hpp).
std::string why_not_delta(pg::Connection& conn, const std::optional<Baseline>& baseline,
                          const std::optional<std::string>& cached, const std::string& name, const Manifest& manifest,
                          bool cache_sound) {
    if (!baseline) {
        return tracking_installed(conn) ? "the database has no baseline snapshot"
                                        : "the database has no change tracking (never snapshotted)";
    }
    if (baseline->snapshot != name) return "the change log counts from snapshot \"" + baseline->snapshot + "\"";
    if (!cached || *cached != manifest.instance()) return "the golden cache holds another snapshot";
    auto fingerprint = expected_fingerprint(manifest, *baseline);
    if (baseline->tracking_seal.empty() || !has_current_format(fingerprint)) {
        return "the change tracking was set up by an older sandboxctl";
    }
    if (catalog_signal(conn) != baseline->signal && schema_fingerprint(conn) != fingerprint) {
        return "the schema changed since the snapshot";
    }
    if (tracking_seal(conn) != baseline->tracking_seal) return "the change tracking was altered since the last reset";
    if (!cache_sound) return "the golden cache was altered since the last reset";
    return "";
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
    tools.dump_schema(
        target.info, snapshot_id,
        {"--exclude-schema=" + std::string(tracking_schema), "--exclude-schema=" + std::string(cache_schema)},
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

ResetResult reset_sandbox(plan::Target& target, const config::Settings& settings,
                          const std::optional<std::string>& requested, bool force_full) {
    auto start = std::chrono::steady_clock::now();
    Store store(settings.snapshot_dir);
    auto& conn = target.conn;
    safety::RunLock lock(conn, "reset");

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
    safety::require_mark(conn, manifest.sandbox_id, "reset to snapshot \"" + name + "\"");
    require_intact(name, check_files(store.path_of(name), manifest, Thoroughness::quick));

    pg::Connection control = pg::Connection::open(target.info, "reset-control");
    safety::ExclusiveAccess exclusive(control, settings.state_dir, {conn.backend_pid()});

    // The cache is checked on every path, --full too: a full reset keeps it.
    begin_as(conn, target.role, "BEGIN", settings.lock_timeout);
    auto cached = cached_snapshot(conn);
    bool cache_sound = cached && *cached == manifest.instance() && baseline && !baseline->cache_seal.empty() &&
                       cache_seal(conn) == baseline->cache_seal;
    std::string why_full =
        force_full ? "--full was given" : why_not_delta(conn, baseline, cached, name, manifest, cache_sound);
    if (why_full.empty()) {
        ResetResult result{name, false, ""};
        interrupt::phase_boundary("delta");
        auto dirty = dirty_tables(conn);
        std::vector<unsigned> oids;
        for (const auto& d : dirty) oids.push_back(d.oid);
        catalog::SourceCatalog tables;
        tables.relations = catalog::read_relations(conn, oids);
        result.delta = restore_from_cache(conn, dirty, tables);
        result.sequences_set = set_sequences(conn, manifest.sequences);
        clear_changes(conn);
        write_baseline(conn, name, expected_fingerprint(manifest, *baseline));
        interrupt::phase_boundary("commit");
        conn.exec("COMMIT");
        failpoint::reach("committed");
        exclusive.release();
        result.elapsed = std::chrono::steady_clock::now() - start;
        return result;
    }
    conn.exec("ROLLBACK");
    log::detail("full reset: {}", why_full);
    require_intact(name, check_files(store.path_of(name), manifest, Thoroughness::quick));
    auto result = full_reset(target, settings, store, manifest, why_full,
                             cache_sound ? CacheUse::reuse_if_sound : CacheUse::rebuild);
    exclusive.release();
    result.elapsed = std::chrono::steady_clock::now() - start;
    return result;
}

}  // namespace sandboxctl::snapshot
