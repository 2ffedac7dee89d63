#include "snapshot/tracking.hpp"

#include <fmt/format.h>

#include "snapshot/fingerprint.hpp"

namespace sandboxctl::snapshot {
namespace {

constexpr const char* setup_sql = R"(
CREATE SCHEMA IF NOT EXISTS sandboxctl;
COMMENT ON SCHEMA sandboxctl IS 'sandboxctl change tracking for delta resets; do not edit';
CREATE TABLE IF NOT EXISTS sandboxctl.changes (relid oid NOT NULL, key jsonb);
DROP TABLE IF EXISTS sandboxctl.baseline;
CREATE TABLE sandboxctl.baseline (snapshot text NOT NULL, fingerprint text NOT NULL,
                                                signal text NOT NULL, since timestamptz NOT NULL DEFAULT now());
CREATE OR REPLACE FUNCTION sandboxctl.mark_whole_table() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  INSERT INTO sandboxctl.changes (relid, key) VALUES (TG_RELID, NULL);
  RETURN NULL;
END
$fn$;
)";

// jsonb_build_object('id', ROW."id", ...) for the table's primary key.
std::string key_expression(const catalog::Relation& table, const char* row) {
    std::string out;
    for (const auto& [column, type] : table.primary_key) {
        (void)type;
        out += fmt::format("{}{}, {}.{}", out.empty() ? "" : ", ", pg::quote_literal(column), row, pg::quote_ident(column));
    }
    return "pg_catalog.jsonb_build_object(" + out + ")";
}

// A row trigger function per keyed table: the key columns are named in its
// body, so logging a row costs two field reads, not a conversion of the row.
std::string row_function(const catalog::Relation& table) {
    if (table.primary_key.empty()) return "sandboxctl.mark_whole_table";
    return fmt::format("sandboxctl.track_{}", table.oid);
}

std::string create_row_function(const catalog::Relation& table) {
    return fmt::format(R"(CREATE OR REPLACE FUNCTION {0}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN INSERT INTO sandboxctl.changes (relid, key) VALUES (TG_RELID, {1}); END IF;
  IF TG_OP <> 'DELETE' THEN INSERT INTO sandboxctl.changes (relid, key) VALUES (TG_RELID, {2}); END IF;
  RETURN NULL;
END
$fn$;
)",
                       row_function(table), key_expression(table, "OLD"), key_expression(table, "NEW"));
}

}  // namespace

void install_tracking(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables) {
    conn.exec(setup_sql);
    std::string sql;
    for (const auto* table : tables) {
        std::string name = table->qualified();
        sql += fmt::format("DROP TRIGGER IF EXISTS sandboxctl_track_truncate ON {0};\n", name);
        // Partitions inherit the row trigger of their partitioned table.
        if (!table->is_partition) {
            if (!table->primary_key.empty()) sql += create_row_function(*table);
            sql += fmt::format(
                "DROP TRIGGER IF EXISTS sandboxctl_track_row ON {0};\n"
                "CREATE TRIGGER sandboxctl_track_row AFTER INSERT OR UPDATE OR DELETE ON {0} "
                "FOR EACH ROW EXECUTE FUNCTION {1}();\n"
                "ALTER TABLE {0} ENABLE ALWAYS TRIGGER sandboxctl_track_row;\n",
                name, row_function(*table));
        }
        if (table->relkind == 'r') {
            sql += fmt::format(
                "CREATE TRIGGER sandboxctl_track_truncate AFTER TRUNCATE ON {0} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sandboxctl.mark_whole_table();\n"
                "ALTER TABLE {0} ENABLE ALWAYS TRIGGER sandboxctl_track_truncate;\n",
                name);
        }
    }
    conn.exec(sql);
}

bool tracking_installed(pg::Connection& conn) {
    return conn.query_value("SELECT pg_catalog.to_regclass('sandboxctl.changes') IS NOT NULL AND "
                            "pg_catalog.to_regclass('sandboxctl.baseline') IS NOT NULL") == "t";
}

std::vector<DirtyTable> dirty_tables(pg::Connection& conn) {
    auto r = conn.exec(R"(
SELECT c.relid, n.nspname || '.' || t.relname, bool_or(c.key IS NULL), count(DISTINCT c.key)
FROM sandboxctl.changes c
JOIN pg_catalog.pg_class t ON t.oid = c.relid
JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace
GROUP BY 1, 2 ORDER BY 2)");
    std::vector<DirtyTable> out;
    for (int row = 0; row < r.rows(); ++row) {
        out.push_back({static_cast<unsigned>(r.get_int(row, 0)), r.get(row, 1), r.get_bool(row, 2), r.get_int(row, 3)});
    }
    return out;
}

void clear_changes(pg::Connection& conn) { conn.exec("DELETE FROM sandboxctl.changes"); }

std::optional<Baseline> read_baseline(pg::Connection& conn) {
    if (!tracking_installed(conn)) return std::nullopt;
    auto r = conn.exec("SELECT snapshot, fingerprint, signal, since::text FROM sandboxctl.baseline");
    if (r.rows() != 1) return std::nullopt;
    return Baseline{r.get(0, 0), r.get(0, 1), r.get(0, 2), r.get(0, 3)};
}

void write_baseline(pg::Connection& conn, const std::string& snapshot, const std::string& fingerprint) {
    // Rewrite the row first, then sign: the signal must include this change.
    conn.exec("DELETE FROM sandboxctl.baseline");
    conn.exec("INSERT INTO sandboxctl.baseline (snapshot, fingerprint, signal) VALUES ($1, $2, '')", {snapshot, fingerprint});
    conn.exec("UPDATE sandboxctl.baseline SET signal = $1", {catalog_signal(conn)});
}

void put_back_baseline(pg::Connection& conn, const Baseline& baseline) {
    conn.exec("DELETE FROM sandboxctl.baseline");
    conn.exec("INSERT INTO sandboxctl.baseline (snapshot, fingerprint, signal, since) VALUES ($1, $2, $3, $4)",
              {baseline.snapshot, baseline.fingerprint, baseline.signal, baseline.since});
}

}  // namespace sandboxctl::snapshot
