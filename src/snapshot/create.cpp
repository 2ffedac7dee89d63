#include "snapshot/create.hpp"

#include <fmt/format.h>

#include <ctime>

#include "copy/copy_statements.hpp"
#include "core/checksum.hpp"
#include "core/failpoint.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/own_schemas.hpp"
#include "core/temp_dir.hpp"
#include "pg/copy_stream.hpp"
#include "safety/records.hpp"
#include "safety/run_lock.hpp"
#include "safety/sandbox_mark.hpp"
#include "schema/pg_tools.hpp"
#include "snapshot/cache.hpp"
#include "snapshot/file_check.hpp"
#include "snapshot/fingerprint.hpp"
#include "snapshot/sandbox_tables.hpp"
#include "snapshot/snapshot_rows.hpp"
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
    manifest.masking = safety::read_masking_state(conn);
    conn.exec("SET LOCAL search_path = pg_catalog");
    manifest.hash_settings = output_settings(conn);

    interrupt::phase_boundary("schema dump");
    TempDir work("sandboxctl-snapshot");
    schema::PgTools tools(settings.pg_bin);
    tools.dump_schema(
        target.info, snapshot_id,
        {"--exclude-schema=" + std::string(own_schemas::tracking),
         "--exclude-schema=" + std::string(own_schemas::cache), "--exclude-schema=" + std::string(own_schemas::pool)},
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

}  // namespace sandboxctl::snapshot
