#include "snapshot/tracking.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/own_schemas.hpp"
#include "snapshot/cache.hpp"
#include "snapshot/fingerprint.hpp"
#include "snapshot/own_schema_sql.hpp"

namespace sandboxctl::snapshot {
namespace {

constexpr const char* setup_sql = R"(
CREATE SCHEMA IF NOT EXISTS {tracking};
COMMENT ON SCHEMA {tracking} IS 'sandboxctl change tracking for delta resets; do not edit';
CREATE TABLE IF NOT EXISTS {tracking}.changes (relid oid NOT NULL, key jsonb);
REVOKE ALL ON {tracking}.changes FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tracking}.changes FROM CURRENT_USER;
DROP TABLE IF EXISTS {tracking}.baseline;
CREATE TABLE {tracking}.baseline (snapshot text NOT NULL, fingerprint text NOT NULL, signal text NOT NULL,
                                  since timestamptz NOT NULL DEFAULT now(), tracking_seal text NOT NULL,
                                  cache_seal text NOT NULL);
REVOKE ALL ON {tracking}.baseline FROM PUBLIC;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {tracking}.baseline FROM CURRENT_USER;
CREATE OR REPLACE FUNCTION {tracking}.mark_whole_table() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  INSERT INTO {tracking}.changes (relid, key) VALUES (TG_RELID, NULL);
  RETURN NULL;
END
$fn$;
)";

// jsonb_build_object('id', ROW."id", ...) for the table's primary key.
std::string key_expression(const catalog::Relation& table, const char* row) {
    std::string out;
    for (const auto& [column, type] : table.primary_key) {
        (void)type;
        out += fmt::format("{}{}, {}.{}", out.empty() ? "" : ", ", pg::quote_literal(column), row,
                           pg::quote_ident(column));
    }
    return "pg_catalog.jsonb_build_object(" + out + ")";
}

// A row trigger function per keyed table: the key columns are named in its
// body, so logging a row costs two field reads, not a conversion of the row.
std::string row_function(const catalog::Relation& table) {
    if (table.primary_key.empty()) return std::string(own_schemas::tracking) + ".mark_whole_table";
    return fmt::format("{}.track_{}", own_schemas::tracking, table.oid);
}

std::string create_row_function(const catalog::Relation& table) {
    return fmt::format(R"(CREATE OR REPLACE FUNCTION {0}() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF TG_OP <> 'INSERT' THEN INSERT INTO {tracking}.changes (relid, key) VALUES (TG_RELID, {1}); END IF;
  IF TG_OP <> 'DELETE' THEN INSERT INTO {tracking}.changes (relid, key) VALUES (TG_RELID, {2}); END IF;
  RETURN NULL;
END
$fn$;
)",
                       row_function(table), key_expression(table, "OLD"), key_expression(table, "NEW"),
                       fmt::arg("tracking", own_schemas::tracking));
}

}  // namespace

void install_tracking(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables) {
    conn.exec(in_own_schemas(setup_sql));
    std::string sql;
    for (const auto* table : tables) {
        std::string name = table->qualified();
        sql += fmt::format("DROP TRIGGER IF EXISTS sandboxctl_track_truncate ON {0};\n", name);
        // Partitions inherit the row trigger of their partitioned table.
        if (!table->is_partition) {
            if (!table->primary_key.empty()) sql += create_row_function(*table);
            sql += fmt::format("DROP TRIGGER IF EXISTS sandboxctl_track_row ON {0};\n"
                               "CREATE TRIGGER sandboxctl_track_row AFTER INSERT OR UPDATE OR DELETE ON {0} "
                               "FOR EACH ROW EXECUTE FUNCTION {1}();\n"
                               "ALTER TABLE {0} ENABLE ALWAYS TRIGGER sandboxctl_track_row;\n",
                               name, row_function(*table));
        }
        if (table->relkind == 'r') {
            sql += fmt::format("CREATE TRIGGER sandboxctl_track_truncate AFTER TRUNCATE ON {0} "
                               "FOR EACH STATEMENT EXECUTE FUNCTION {tracking}.mark_whole_table();\n"
                               "ALTER TABLE {0} ENABLE ALWAYS TRIGGER sandboxctl_track_truncate;\n",
                               name, fmt::arg("tracking", own_schemas::tracking));
        }
    }
    conn.exec(sql);
}

bool tracking_installed(pg::Connection& conn) {
    return conn.query_value(in_own_schemas("SELECT pg_catalog.to_regclass('{tracking}.changes') IS NOT NULL AND "
                                           "pg_catalog.to_regclass('{tracking}.baseline') IS NOT NULL")) == "t";
}

void hold_tracked_tables(pg::Connection& conn) {
    auto tables = conn.exec(R"(
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname)
  FROM pg_catalog.pg_trigger t
  JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE t.tgname = 'sandboxctl_track_truncate'
   AND pg_catalog.has_table_privilege(c.oid, 'UPDATE, DELETE, TRUNCATE')
 ORDER BY c.oid)");
    if (tables.rows() == 0) return;
    std::string list;
    for (int row = 0; row < tables.rows(); ++row) list += (row ? ", " : "") + tables.get(row, 0);
    // ONLY: each tracked table is listed itself, and a descendant that is
    // not (another role's inheritance child) is not the reset's to lock.
    conn.exec("LOCK TABLE ONLY " + list + " IN SHARE MODE");
}

std::vector<DirtyTable> dirty_tables(pg::Connection& conn) {
    auto r = conn.exec(in_own_schemas(R"(
-- Names looked up per table written, not joined: the log has no statistics,
-- and a join would read all of pg_class.
SELECT * FROM (
  SELECT d.relid, (SELECT n.nspname || '.' || t.relname FROM pg_catalog.pg_class t
                   JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace WHERE t.oid = d.relid) AS name,
         d.whole, d.keys
  FROM (SELECT relid, bool_or(key IS NULL) AS whole, count(DISTINCT key) AS keys
        FROM {tracking}.changes GROUP BY relid) d) named
WHERE name IS NOT NULL ORDER BY name)"));
    std::vector<DirtyTable> out;
    for (int row = 0; row < r.rows(); ++row) {
        out.push_back({static_cast<unsigned>(r.get_int(row, 0)), r.get(row, 1), r.get_bool(row, 2), r.get_int(row, 3)});
    }
    return out;
}

void clear_changes(pg::Connection& conn) {
    conn.exec(in_own_schemas("GRANT DELETE ON {tracking}.changes TO CURRENT_USER;\n"
                             "DELETE FROM {tracking}.changes;\n"
                             "REVOKE DELETE ON {tracking}.changes FROM CURRENT_USER"));
}

namespace {

constexpr const char* seal_format = "2:";

// The log's and the baseline's own catalog rows (privileges included): the
// only ones a delta reset rewrites, so digested apart from the rest.
constexpr const char* own_relations_sql = R"(
WITH ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = '{tracking}')
SELECT pg_catalog.md5(COALESCE(pg_catalog.string_agg('rel ' || oid || ':' || xmin, ',' ORDER BY oid), ''))
FROM pg_catalog.pg_class WHERE relnamespace IN (SELECT oid FROM ns))";

}  // namespace

std::string tracking_seal(pg::Connection& conn) {
    auto rest = conn.query_value(in_own_schemas(R"(
WITH ns AS (SELECT oid, xmin FROM pg_catalog.pg_namespace WHERE nspname = '{tracking}'),
own AS (SELECT oid, xmin FROM pg_catalog.pg_class WHERE relnamespace IN (SELECT oid FROM ns)),
triggers AS (SELECT oid, xmin, tgrelid, tgenabled FROM pg_catalog.pg_trigger
             WHERE tgname IN ('sandboxctl_track_row', 'sandboxctl_track_truncate') OR tgrelid IN (SELECT oid FROM own)),
tracked AS (SELECT DISTINCT tgrelid AS oid FROM triggers)
SELECT pg_catalog.md5(pg_catalog.string_agg(item, ',' ORDER BY item)) FROM (
  SELECT 'ns ' || oid || ':' || xmin FROM ns
  UNION ALL SELECT 'fn ' || oid || ':' || xmin FROM pg_catalog.pg_proc WHERE pronamespace IN (SELECT oid FROM ns)
  UNION ALL SELECT 'trg ' || oid || ':' || xmin || ':' || tgrelid || ':' || tgenabled::text FROM triggers
  UNION ALL SELECT 'rule ' || oid || ':' || xmin FROM pg_catalog.pg_rewrite WHERE ev_class IN (SELECT oid FROM own)
  UNION ALL SELECT 'pol ' || oid || ':' || xmin FROM pg_catalog.pg_policy WHERE polrelid IN (SELECT oid FROM own)
  UNION ALL SELECT 'table ' || oid || ':' || relnamespace || ':' || relname FROM pg_catalog.pg_class
             WHERE oid IN (SELECT oid FROM tracked)
  UNION ALL SELECT 'att ' || attrelid || '.' || attnum || ':' || xmin FROM pg_catalog.pg_attribute
             WHERE attnum > 0 AND (attrelid IN (SELECT oid FROM own) OR attrelid IN (SELECT oid FROM tracked))
) items(item))"));
    return seal_format + rest + ":" + conn.query_value(in_own_schemas(own_relations_sql));
}

bool has_current_seal_format(const std::string& seal) {
    return seal.starts_with(seal_format) && std::ranges::count(seal, ':') == 2;
}

namespace {

// `seal` with its OWN part taken afresh.
std::string tracking_seal_after_delta(pg::Connection& conn, const std::string& seal) {
    if (!has_current_seal_format(seal)) return tracking_seal(conn);
    return seal.substr(0, seal.rfind(':') + 1) + conn.query_value(in_own_schemas(own_relations_sql));
}

}  // namespace

std::optional<Baseline> read_baseline(pg::Connection& conn) {
    if (!tracking_installed(conn)) return std::nullopt;
    // Seal columns may be missing (a baseline written before they existed).
    auto r =
        conn.exec(in_own_schemas("SELECT snapshot, fingerprint, signal, since::text, "
                                 "COALESCE(pg_catalog.to_jsonb(b) ->> 'tracking_seal', ''), "
                                 "COALESCE(pg_catalog.to_jsonb(b) ->> 'cache_seal', '') FROM {tracking}.baseline b"));
    if (r.rows() != 1) return std::nullopt;
    return Baseline{r.get(0, 0), r.get(0, 1), r.get(0, 2), r.get(0, 3), r.get(0, 4), r.get(0, 5)};
}

namespace {

struct Seals {
    std::string signal, tracking, cache;
};

// Grant first: the GRANT rewrites the table's catalog row, so signal and
// seal, computed after it, already see the row version this transaction
// leaves (the REVOKE at the end rewrites it in the same transaction: same
// xmin, same seal).
template <typename SealsNow>
void replace_baseline(pg::Connection& conn, const std::string& snapshot, const std::string& fingerprint,
                      SealsNow seals_now) {
    conn.exec(in_own_schemas("GRANT INSERT, DELETE ON {tracking}.baseline TO CURRENT_USER"));
    conn.exec(in_own_schemas("DELETE FROM {tracking}.baseline"));
    Seals seals = seals_now();
    conn.exec(
        in_own_schemas("INSERT INTO {tracking}.baseline (snapshot, fingerprint, signal, tracking_seal, cache_seal) "
                       "VALUES ($1, $2, $3, $4, $5)"),
        {snapshot, fingerprint, seals.signal, seals.tracking, seals.cache});
    conn.exec(in_own_schemas("REVOKE INSERT, DELETE ON {tracking}.baseline FROM CURRENT_USER"));
}

}  // namespace

void write_baseline(pg::Connection& conn, const std::string& snapshot, const std::string& fingerprint) {
    replace_baseline(conn, snapshot, fingerprint, [&] {
        return Seals{catalog_signal(conn), tracking_seal(conn), cache_seal(conn)};
    });
}

void write_baseline_after_delta(pg::Connection& conn, const Baseline& previous, const std::string& fingerprint,
                                const std::string& signal) {
    replace_baseline(conn, previous.snapshot, fingerprint, [&] {
        return Seals{catalog_signal_updated(conn, signal, {"pg_class", "pg_trigger"}),
                     tracking_seal_after_delta(conn, previous.tracking_seal), previous.cache_seal};
    });
}

void put_back_baseline(pg::Connection& conn, const Baseline& baseline, bool reseal_tracking) {
    // The table is read-only to its owner too; grant first, as write_baseline
    // does, so that a fresh seal sees the row version this transaction leaves.
    conn.exec(in_own_schemas("GRANT INSERT, DELETE ON {tracking}.baseline TO CURRENT_USER"));
    std::string seal = reseal_tracking ? tracking_seal(conn) : baseline.tracking_seal;
    conn.exec(in_own_schemas("DELETE FROM {tracking}.baseline"));
    conn.exec(in_own_schemas("INSERT INTO {tracking}.baseline (snapshot, fingerprint, signal, since, tracking_seal, "
                             "cache_seal) VALUES ($1, $2, $3, $4, $5, $6)"),
              {baseline.snapshot, baseline.fingerprint, baseline.signal, baseline.since, seal, baseline.cache_seal});
    conn.exec(in_own_schemas("REVOKE INSERT, DELETE ON {tracking}.baseline FROM CURRENT_USER"));
}

}  // namespace sandboxctl::snapshot
