#include "snapshot/cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/number.hpp"
#include "core/own_schemas.hpp"
#include "snapshot/cache_sql.hpp"
#include "snapshot/own_schema_sql.hpp"

namespace sandboxctl::snapshot {
namespace {

// How a dirty table is put back.
enum class Restore {
    keys,    // the logged keys' rows, tracking left on (few rows)
    bulk,    // the same statements over many rows (or the whole table), tracking paused
    reload,  // TRUNCATE (or DELETE) and every cached row inserted, tracking paused
};

// Counts of what a reload changes, computed before it (read-only): by key,
// or for a table without one as multisets of rows (EXCEPT ALL).
DeltaStats reload_counts(pg::Connection& conn, const catalog::Relation& t, const std::string& g, bool restrict_to_log) {
    DeltaStats counts;
    auto count = [&](const std::string& sql) { return conn.query_integer(sql); };
    if (!t.primary_key.empty()) {
        auto r = conn.exec(keyed_reload_counts(t, g, restrict_to_log));
        counts.deleted = r.get_int(0, 0);
        counts.inserted = r.get_int(0, 1);
        counts.updated = r.get_int(0, 2);
        return counts;
    }
    if (t.copy_columns.empty()) {
        long long mine = count("SELECT count(*) FROM ONLY " + t.qualified());
        long long cached = count("SELECT count(*) FROM " + g);
        counts.deleted = std::max(0LL, mine - cached);
        counts.inserted = std::max(0LL, cached - mine);
        return counts;
    }
    counts.deleted = count(unkeyed_reload_count(t, g, true));
    counts.inserted = count(unkeyed_reload_count(t, g, false));
    return counts;
}

// A reload inserts every row: checking each one's foreign keys row by row
// costs more than the insert itself, so the table's own foreign keys are
// dropped for it and added back after (one validating query each, NOT VALID
// kept as it was), with their comments. Inherited ones (partitions) stay.
struct ForeignKeys {
    std::string drop, add;
};

ForeignKeys own_foreign_keys(pg::Connection& conn, const catalog::Relation& t) {
    auto r = conn.exec(
        "SELECT pg_catalog.quote_ident(conname), pg_catalog.pg_get_constraintdef(oid), "
        "pg_catalog.obj_description(oid, 'pg_constraint') FROM pg_catalog.pg_constraint "
        "WHERE conrelid = $1::pg_catalog.oid AND contype = 'f' AND conislocal AND coninhcount = 0 AND conparentid = 0 "
        "ORDER BY conname",
        {std::to_string(t.oid)});
    ForeignKeys out;
    for (int row = 0; row < r.rows(); ++row) {
        out.drop += fmt::format("ALTER TABLE ONLY {} DROP CONSTRAINT {};\n", t.qualified(), r.get(row, 0));
        out.add +=
            fmt::format("ALTER TABLE ONLY {} ADD CONSTRAINT {} {};\n", t.qualified(), r.get(row, 0), r.get(row, 1));
        if (!r.is_null(row, 2)) {
            out.add += fmt::format("COMMENT ON CONSTRAINT {} ON {} IS {};\n", r.get(row, 0), t.qualified(),
                                   pg::quote_literal(r.get(row, 2)));
        }
    }
    return out;
}

enum class StepKind { remove, insert, update, reload };

struct Step {
    StepKind kind;
    std::string table;
    std::string sql;
    DeltaStats counts = {};  // for a reload: what it changes, counted before
};

// Orders dirty tables so that referenced (parent) tables come first.
std::vector<const catalog::Relation*> parents_first(std::vector<const catalog::Relation*> tables,
                                                    pg::Connection& conn) {
    std::set<unsigned> oids;
    for (const auto* t : tables) oids.insert(t->oid);
    auto edges = conn.exec("SELECT conrelid, confrelid FROM pg_catalog.pg_constraint WHERE contype = 'f'");
    std::multimap<unsigned, unsigned> parents_of;
    for (int row = 0; row < edges.rows(); ++row) {
        auto child = static_cast<unsigned>(edges.get_int(row, 0)),
             parent = static_cast<unsigned>(edges.get_int(row, 1));
        if (child != parent && oids.contains(child) && oids.contains(parent)) parents_of.emplace(child, parent);
    }
    std::vector<const catalog::Relation*> ordered;
    std::set<unsigned> placed, visiting;
    std::map<unsigned, const catalog::Relation*> by_oid;
    for (const auto* t : tables) by_oid[t->oid] = t;
    std::function<void(const catalog::Relation*)> place = [&](const catalog::Relation* t) {
        if (placed.contains(t->oid) || visiting.contains(t->oid)) return;
        visiting.insert(t->oid);
        auto [begin, end] = parents_of.equal_range(t->oid);
        for (auto it = begin; it != end; ++it) place(by_oid[it->second]);
        placed.insert(t->oid);
        ordered.push_back(t);
    };
    for (const auto* t : tables) place(t);
    return ordered;
}

// Pauses the user triggers of the tables being reset (restoring exactly each
// one's enabled state afterwards). sandboxctl's tracking triggers stay on
// where few rows change (what they log is cleared with the rest of the log)
// and are paused on tables restored in bulk, where they would log every row.
class TriggerPause {
public:
    TriggerPause(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables,
                 const std::set<unsigned>& bulk)
        : conn_(conn) {
        std::string oids, bulk_oids = "0";
        for (const auto* t : tables) oids += (oids.empty() ? "" : ",") + std::to_string(t->oid);
        for (unsigned oid : bulk) bulk_oids += "," + std::to_string(oid);
        if (oids.empty()) return;
        auto r = conn.exec(
            fmt::format("SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_catalog.pg_trigger "
                        "WHERE tgrelid IN ({}) AND NOT tgisinternal AND tgenabled <> 'D' "
                        "AND (tgname NOT IN ('sandboxctl_track_row', 'sandboxctl_track_truncate') OR tgrelid IN ({}))",
                        oids, bulk_oids));
        std::string sql;
        for (int row = 0; row < r.rows(); ++row) {
            triggers_.push_back({r.get(row, 0), r.get(row, 1), r.get(row, 2)});
            sql += fmt::format("ALTER TABLE {} DISABLE TRIGGER {};\n", r.get(row, 0), pg::quote_ident(r.get(row, 1)));
        }
        if (!sql.empty()) conn.exec(sql);
    }
    void restore() {
        std::string sql;
        for (const auto& t : triggers_) {
            const char* how = t.enabled == "A" ? "ENABLE ALWAYS" : t.enabled == "R" ? "ENABLE REPLICA" : "ENABLE";
            sql += fmt::format("ALTER TABLE {} {} TRIGGER {};\n", t.table, how, pg::quote_ident(t.name));
        }
        if (!sql.empty()) conn_.exec(sql);
    }

private:
    struct Trigger {
        std::string table, name, enabled;
    };
    pg::Connection& conn_;
    std::vector<Trigger> triggers_;
};

long long affected(pg::Connection& conn, const std::string& sql) { return conn.exec(sql).affected_rows(); }

// Runs steps under savepoints; a step that violates a foreign key or unique
// key waits for a later pass, after the others have run (a child row moved to
// a new parent must be put back before that parent can be deleted).
void run_steps(pg::Connection& conn, std::vector<Step> steps, DeltaStats& stats) {
    while (!steps.empty()) {
        std::vector<Step> postponed;
        std::optional<std::string> last_error;
        for (auto& step : steps) {
            conn.exec("SAVEPOINT sandboxctl_step");
            try {
                if (step.kind == StepKind::reload) {
                    conn.exec(step.sql);
                    stats.deleted += step.counts.deleted;
                    stats.inserted += step.counts.inserted;
                    stats.updated += step.counts.updated;
                    ++stats.reloaded;
                } else {
                    long long rows = affected(conn, step.sql);
                    (step.kind == StepKind::remove   ? stats.deleted
                     : step.kind == StepKind::insert ? stats.inserted
                                                     : stats.updated) += rows;
                }
                conn.exec("RELEASE SAVEPOINT sandboxctl_step");
            } catch (const pg::PgError& e) {
                if (e.sqlstate() != "23503" && e.sqlstate() != "23505") {
                    // Still a server error: a lock timeout gets its lock holders named.
                    throw pg::PgError(e.code(), "could not reset table " + step.table + ": " + e.what(), e.hint(),
                                      e.server());
                }
                conn.exec("ROLLBACK TO SAVEPOINT sandboxctl_step");
                last_error = e.what();
                postponed.push_back(std::move(step));
            }
        }
        if (postponed.size() == steps.size()) {
            throw failure("could not reset table " + postponed.front().table + ": " + *last_error,
                          "Run \"sandboxctl reset --full\".");
        }
        steps = std::move(postponed);
    }
}

}  // namespace

void grant_cache(pg::Connection& conn, const std::string& reader_role) {
    conn.exec("SET LOCAL ROLE NONE");
    std::string role = conn.quote_identifier(reader_role);
    conn.exec(fmt::format("GRANT USAGE ON SCHEMA {0} TO {1};\nGRANT SELECT ON ALL TABLES IN SCHEMA {0} TO {1}",
                          own_schemas::cache, role));
    conn.exec("SET LOCAL ROLE " + role);
}

void drop_cache(pg::Connection& conn) {
    conn.exec("SET LOCAL ROLE NONE");
    conn.exec(in_own_schemas("DROP SCHEMA IF EXISTS {cache} CASCADE"));
}

void build_cache(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables, const std::string& snapshot,
                 const std::string& reader_role) {
    conn.exec("SET LOCAL ROLE NONE");
    conn.exec(cache_build_script(tables));
    conn.exec(in_own_schemas("INSERT INTO {cache}.meta VALUES ($1)"), {snapshot});
    // Read-only from now on, for the login too (see cache_seal).
    conn.exec(
        in_own_schemas("REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {cache} "
                       "FROM CURRENT_USER"));
    grant_cache(conn, reader_role);
}

std::string cache_seal(pg::Connection& conn) {
    return conn.query_value(in_own_schemas(R"(
WITH ns AS (SELECT oid, xmin FROM pg_catalog.pg_namespace WHERE nspname = '{cache}'),
own AS (SELECT oid, xmin FROM pg_catalog.pg_class WHERE relnamespace IN (SELECT oid FROM ns))
SELECT pg_catalog.md5(pg_catalog.string_agg(item, ',' ORDER BY item)) FROM (
  SELECT 'ns ' || oid || ':' || xmin FROM ns
  UNION ALL SELECT 'rel ' || oid || ':' || xmin FROM own
  UNION ALL SELECT 'att ' || attrelid || '.' || attnum || ':' || xmin FROM pg_catalog.pg_attribute
             WHERE attnum > 0 AND attrelid IN (SELECT oid FROM own)
  UNION ALL SELECT 'trg ' || oid || ':' || xmin FROM pg_catalog.pg_trigger WHERE tgrelid IN (SELECT oid FROM own)
  UNION ALL SELECT 'rule ' || oid || ':' || xmin FROM pg_catalog.pg_rewrite WHERE ev_class IN (SELECT oid FROM own)
  UNION ALL SELECT 'pol ' || oid || ':' || xmin FROM pg_catalog.pg_policy WHERE polrelid IN (SELECT oid FROM own)
) items(item))"));
}

std::optional<std::string> cached_snapshot(pg::Connection& conn) {
    if (conn.query_value(in_own_schemas("SELECT pg_catalog.to_regclass('{cache}.meta') IS NOT NULL")) != "t")
        return std::nullopt;
    auto r = conn.exec(in_own_schemas("SELECT snapshot FROM {cache}.meta"));
    if (r.rows() != 1) return std::nullopt;
    return r.get(0, 0);
}

namespace {

std::string oid_array(const std::vector<DirtyTable>& dirty) {
    std::vector<unsigned> oids;
    for (const auto& d : dirty) oids.push_back(d.oid);
    return pg::oid_array(oids);
}

// Of the dirty tables, those that foreign keys of other tables reference:
// TRUNCATE would refuse them (or, with CASCADE, empty the referencing tables
// too).
std::set<unsigned> referenced_tables(pg::Connection& conn, const std::vector<DirtyTable>& dirty) {
    auto r = conn.exec("SELECT DISTINCT confrelid FROM pg_catalog.pg_constraint "
                       "WHERE contype = 'f' AND conrelid <> confrelid AND confrelid = ANY ($1::pg_catalog.oid[])",
                       {oid_array(dirty)});
    std::set<unsigned> out;
    for (int row = 0; row < r.rows(); ++row) out.insert(static_cast<unsigned>(r.get_int(row, 0)));
    return out;
}

struct CachedTable {
    std::string name;
    double rows = 0;  // pg_class.reltuples of the cache table (analyzed when built)
};

// The cache tables of the dirty tables. Cached tables are named by schema
// and name: oids change with a full reset.
std::map<unsigned, CachedTable> cache_map(pg::Connection& conn, const std::vector<DirtyTable>& dirty) {
    auto map = conn.exec(in_own_schemas("SELECT c.oid, t.cache, g.reltuples FROM {cache}.tables t "
                                        "JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema "
                                        "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.name "
                                        "JOIN pg_catalog.pg_class g ON g.oid = t.cache::pg_catalog.regclass "
                                        "WHERE c.oid = ANY ($1::pg_catalog.oid[])"),
                         {oid_array(dirty)});
    std::map<unsigned, CachedTable> out;
    for (int row = 0; row < map.rows(); ++row) {
        out[static_cast<unsigned>(map.get_int(row, 0))] = {map.get(row, 1), std::stod(map.get(row, 2))};
    }
    return out;
}

Restore choose_restore(const DirtyTable& d, const catalog::Relation& t, const CachedTable& cache, bool referenced) {
    bool whole = d.whole || t.primary_key.empty();
    bool large = d.keys >= bulk_min_keys && static_cast<double>(d.keys) * 10 >= cache.rows;
    if (!whole && !large) return Restore::keys;
    // A table without a key has no other way back than a reload (DELETE if
    // it is referenced, through a unique key).
    if (t.primary_key.empty() || !referenced) return Restore::reload;
    return Restore::bulk;
}

}  // namespace

DeltaStats restore_from_cache(pg::Connection& conn, const std::vector<DirtyTable>& dirty,
                              const catalog::SourceCatalog& catalog) {
    DeltaStats stats;
    auto cache_of = cache_map(conn, dirty);
    auto referenced = referenced_tables(conn, dirty);

    std::vector<const catalog::Relation*> tables;
    std::map<unsigned, Restore> how;
    std::map<unsigned, bool> whole;
    std::set<unsigned> bulk;
    for (const auto& d : dirty) {
        const auto* t = catalog.find(d.oid);
        if (!t || !cache_of.contains(d.oid)) {
            throw failure("table " + d.name + " was written but is not in the golden cache",
                          "Run \"sandboxctl reset --full\".");
        }
        tables.push_back(t);
        how[d.oid] = choose_restore(d, *t, cache_of[d.oid], referenced.contains(d.oid));
        whole[d.oid] = d.whole || t->primary_key.empty();
        if (how[d.oid] != Restore::keys) bulk.insert(d.oid);
        log::detail("reset {}: {} keys logged{}, {} rows cached: {}", d.name, d.keys, d.whole ? " (whole table)" : "",
                    static_cast<long long>(cache_of[d.oid].rows),
                    how[d.oid] == Restore::keys   ? "by key"
                    : how[d.oid] == Restore::bulk ? "in bulk"
                                                  : "reloaded whole");
    }
    tables = parents_first(tables, conn);
    stats.tables = static_cast<int>(tables.size());
    // The log has no statistics of its own; with many keys, joins on them
    // are planned as hash joins only once it has.
    stats.rewrote_catalog = !bulk.empty();
    if (!bulk.empty()) conn.exec(in_own_schemas("ANALYZE {tracking}.changes"));
    TriggerPause pause(conn, tables, bulk);
    conn.exec("SET CONSTRAINTS ALL DEFERRED");

    // Deletes children first, inserts (and reloads) parents first, updates last.
    std::vector<Step> steps, updates;
    for (auto it = tables.rbegin(); it != tables.rend(); ++it) {
        const auto& t = **it;
        if (how[t.oid] == Restore::reload) continue;
        steps.push_back({StepKind::remove, t.display(), keyed_restore(t, cache_of[t.oid].name, !whole[t.oid]).remove});
    }
    for (const auto* tp : tables) {
        const auto& t = *tp;
        const std::string& g = cache_of[t.oid].name;
        if (how[t.oid] == Restore::reload) {
            // Counted now, before the table is emptied: rows outside the log
            // are the cache's, so counting the logged keys is exact.
            auto counts = reload_counts(conn, t, g, !whole[t.oid]);
            auto keys = own_foreign_keys(conn, t);
            steps.push_back({StepKind::reload, t.display(),
                             reload_script(t, g, referenced.contains(t.oid), keys.drop, keys.add), counts});
            continue;
        }
        auto restore = keyed_restore(t, g, !whole[t.oid]);
        steps.push_back({StepKind::insert, t.display(), restore.insert});
        if (!restore.update.empty()) updates.push_back({StepKind::update, t.display(), restore.update});
    }
    steps.insert(steps.end(), updates.begin(), updates.end());
    run_steps(conn, std::move(steps), stats);
    // Check the deferred constraints now: ALTER TABLE (re-enabling triggers)
    // is refused while their checks are pending.
    conn.exec("SET CONSTRAINTS ALL IMMEDIATE");
    pause.restore();
    return stats;
}

}  // namespace sandboxctl::snapshot
