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
CREATE OR REPLACE FUNCTION sandboxctl.track_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
DECLARE
  r jsonb;
BEGIN
  IF TG_NARGS = 0 THEN
    INSERT INTO sandboxctl.changes (relid, key) VALUES (TG_RELID, NULL);
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    r := to_jsonb(OLD);
    INSERT INTO sandboxctl.changes (relid, key)
      SELECT TG_RELID, jsonb_object_agg(k, r -> k) FROM unnest(TG_ARGV) k;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    r := to_jsonb(NEW);
    INSERT INTO sandboxctl.changes (relid, key)
      SELECT TG_RELID, jsonb_object_agg(k, r -> k) FROM unnest(TG_ARGV) k;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE OR REPLACE FUNCTION sandboxctl.track_truncate() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $fn$
BEGIN
  INSERT INTO sandboxctl.changes (relid, key) VALUES (TG_RELID, NULL);
  RETURN NULL;
END
$fn$;
)";

std::string key_arguments(const pg::Connection& conn, const catalog::Relation& table) {
    std::string out;
    for (const auto& [column, type] : table.primary_key) {
        (void)type;
        out += (out.empty() ? "" : ", ") + conn.quote_literal(column);
    }
    return out;
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
            sql += fmt::format(
                "DROP TRIGGER IF EXISTS sandboxctl_track_row ON {0};\n"
                "CREATE TRIGGER sandboxctl_track_row AFTER INSERT OR UPDATE OR DELETE ON {0} "
                "FOR EACH ROW EXECUTE FUNCTION sandboxctl.track_row({1});\n"
                "ALTER TABLE {0} ENABLE ALWAYS TRIGGER sandboxctl_track_row;\n",
                name, key_arguments(conn, *table));
        }
        if (table->relkind == 'r') {
            sql += fmt::format(
                "CREATE TRIGGER sandboxctl_track_truncate AFTER TRUNCATE ON {0} "
                "FOR EACH STATEMENT EXECUTE FUNCTION sandboxctl.track_truncate();\n"
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

}  // namespace sandboxctl::snapshot
