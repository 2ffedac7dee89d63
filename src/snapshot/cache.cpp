#include "snapshot/cache.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/log.hpp"

namespace sandboxctl::snapshot {
namespace {

std::string join(const std::vector<std::string>& items, const char* separator) {
    std::string out;
    for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
    return out;
}

std::vector<std::string> quoted(const std::vector<std::string>& names, const std::string& prefix = "") {
    std::vector<std::string> out;
    for (const auto& n : names) out.push_back(prefix + pg::quote_ident(n));
    return out;
}

// Cache columns of user-defined types (enums, domains, composites) are kept
// as text: a cache column of such a type would depend on it, and a full reset
// (DROP OWNED ... CASCADE) would drop the column with the type.
std::string cache_select_list(const catalog::Relation& t) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < t.copy_columns.size(); ++i) {
        std::string name = pg::quote_ident(t.copy_columns[i]);
        out.push_back(t.copy_column_builtin[i] ? name : name + "::text AS " + name);
    }
    return join(out, ", ");
}

// g.col, cast back to the table's type where the cache holds text.
std::string cached_value(const catalog::Relation& t, std::size_t i) {
    std::string value = "g." + pg::quote_ident(t.copy_columns[i]);
    return t.copy_column_builtin[i] ? value : value + "::" + t.copy_column_types[i];
}

std::vector<std::string> cached_values(const catalog::Relation& t) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < t.copy_columns.size(); ++i) out.push_back(cached_value(t, i));
    return out;
}

std::vector<std::string> key_names(const catalog::Relation& t) {
    std::vector<std::string> out;
    for (const auto& [name, type] : t.primary_key) out.push_back(name);
    return out;
}

// The cached key values (g.a, g.b), cast back to the key columns' types.
std::vector<std::string> cached_key_values(const catalog::Relation& t) {
    std::vector<std::string> out;
    for (const auto& name : key_names(t)) {
        auto at = std::find(t.copy_columns.begin(), t.copy_columns.end(), name) - t.copy_columns.begin();
        out.push_back(cached_value(t, static_cast<std::size_t>(at)));
    }
    return out;
}

// "t.a = g.a AND t.b = g.b", with the cache side cast as needed.
std::string key_match(const catalog::Relation& t) {
    auto names = key_names(t);
    auto values = cached_key_values(t);
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < names.size(); ++i) parts.push_back("t." + pg::quote_ident(names[i]) + " = " + values[i]);
    return join(parts, " AND ");
}

// The logged keys of one table, cast back to their column types.
std::string logged_keys(const catalog::Relation& t) {
    std::vector<std::string> columns;
    for (const auto& [name, type] : t.primary_key) {
        columns.push_back(fmt::format("(key ->> {})::{}", pg::quote_literal(name), type));
    }
    return fmt::format("SELECT DISTINCT {} FROM sandboxctl.changes WHERE relid = {} AND key IS NOT NULL",
                       join(columns, ", "), t.oid);
}

enum class StepKind { remove, insert, update };

struct Step {
    StepKind kind;
    std::string table;
    std::string sql;
};

// Orders dirty tables so that referenced (parent) tables come first.
std::vector<const catalog::Relation*> parents_first(std::vector<const catalog::Relation*> tables,
                                                    pg::Connection& conn) {
    std::set<unsigned> oids;
    for (const auto* t : tables) oids.insert(t->oid);
    auto edges = conn.exec("SELECT conrelid, confrelid FROM pg_catalog.pg_constraint WHERE contype = 'f'");
    std::multimap<unsigned, unsigned> parents_of;
    for (int row = 0; row < edges.rows(); ++row) {
        auto child = static_cast<unsigned>(edges.get_int(row, 0)), parent = static_cast<unsigned>(edges.get_int(row, 1));
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
// and are paused on tables restored whole, where they would log every row.
class TriggerPause {
public:
    TriggerPause(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables,
                 const std::set<unsigned>& whole)
        : conn_(conn) {
        std::string oids, whole_oids = "0";
        for (const auto* t : tables) oids += (oids.empty() ? "" : ",") + std::to_string(t->oid);
        for (unsigned oid : whole) whole_oids += "," + std::to_string(oid);
        if (oids.empty()) return;
        auto r = conn.exec(fmt::format(
            "SELECT tgrelid::regclass::text, tgname, tgenabled FROM pg_catalog.pg_trigger "
            "WHERE tgrelid IN ({}) AND NOT tgisinternal AND tgenabled <> 'D' "
            "AND (tgname NOT LIKE 'sandboxctl\\_%' OR tgrelid IN ({}))",
            oids, whole_oids));
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

long long affected(pg::Connection& conn, const std::string& sql) {
    auto result = conn.exec(sql);
    const char* tuples = PQcmdTuples(const_cast<PGresult*>(result.raw()));
    return tuples && *tuples ? std::stoll(tuples) : 0;
}

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
                long long rows = affected(conn, step.sql);
                (step.kind == StepKind::remove ? stats.deleted
                 : step.kind == StepKind::insert ? stats.inserted
                                                 : stats.updated) += rows;
                conn.exec("RELEASE SAVEPOINT sandboxctl_step");
            } catch (const pg::PgError& e) {
                if (e.sqlstate() != "23503" && e.sqlstate() != "23505") {
                    rethrow_with_context("could not reset table " + step.table);
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
    conn.exec("GRANT USAGE ON SCHEMA sandboxctl_golden TO " + role + ";\n" +
              "GRANT SELECT ON ALL TABLES IN SCHEMA sandboxctl_golden TO " + role);
    conn.exec("SET LOCAL ROLE " + role);
}

void build_cache(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables,
                 const std::string& snapshot, const std::string& reader_role) {
    conn.exec("SET LOCAL ROLE NONE");
    std::string sql = "DROP SCHEMA IF EXISTS sandboxctl_golden CASCADE;\nCREATE SCHEMA sandboxctl_golden;\n"
                      "COMMENT ON SCHEMA sandboxctl_golden IS 'sandboxctl golden copy for delta resets; do not edit';\n"
                      "CREATE TABLE sandboxctl_golden.tables (schema text NOT NULL, name text NOT NULL, cache text NOT NULL,\n"
                      "                                      PRIMARY KEY (schema, name));\n";
    int index = 0;
    for (const auto* t : tables) {
        std::string cache = fmt::format("sandboxctl_golden.g{}", ++index);
        sql += fmt::format("CREATE TABLE {} AS SELECT {} FROM ONLY {};\n", cache, cache_select_list(*t), t->qualified());
        if (!t->primary_key.empty()) {
            sql += fmt::format("CREATE INDEX ON {} ({});\n", cache, join(quoted(key_names(*t)), ", "));
        }
        sql += fmt::format("ANALYZE {};\nINSERT INTO sandboxctl_golden.tables VALUES ({}, {}, '{}');\n", cache,
                           pg::quote_literal(t->schema), pg::quote_literal(t->name), cache);
    }
    sql += "CREATE TABLE sandboxctl_golden.meta (snapshot text NOT NULL);\n";
    conn.exec(sql);
    conn.exec("INSERT INTO sandboxctl_golden.meta VALUES ($1)", {snapshot});
    grant_cache(conn, reader_role);
}

std::optional<std::string> cached_snapshot(pg::Connection& conn) {
    if (conn.query_value("SELECT pg_catalog.to_regclass('sandboxctl_golden.meta') IS NOT NULL") != "t") return std::nullopt;
    auto r = conn.exec("SELECT snapshot FROM sandboxctl_golden.meta");
    if (r.rows() != 1) return std::nullopt;
    return r.get(0, 0);
}

DeltaStats restore_from_cache(pg::Connection& conn, const std::vector<DirtyTable>& dirty,
                              const catalog::SourceCatalog& catalog) {
    DeltaStats stats;
    // Cached tables are named by schema and name: oids change with a full reset.
    auto map = conn.exec(
        "SELECT c.oid, t.cache FROM sandboxctl_golden.tables t "
        "JOIN pg_catalog.pg_namespace n ON n.nspname = t.schema "
        "JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.name");
    std::map<unsigned, std::string> cache_of;
    for (int row = 0; row < map.rows(); ++row) cache_of[static_cast<unsigned>(map.get_int(row, 0))] = map.get(row, 1);

    std::vector<const catalog::Relation*> tables;
    std::set<unsigned> whole;
    for (const auto& d : dirty) {
        const auto* t = catalog.find(d.oid);
        if (!t || !cache_of.contains(d.oid)) {
            throw failure("table " + d.name + " was written but is not in the golden cache",
                          "Run \"sandboxctl reset --full\".");
        }
        tables.push_back(t);
        if (d.whole || t->primary_key.empty()) whole.insert(d.oid);
    }
    tables = parents_first(tables, conn);
    stats.tables = static_cast<int>(tables.size());
    TriggerPause pause(conn, tables, whole);
    conn.exec("SET CONSTRAINTS ALL DEFERRED");

    // Deletes children first, inserts parents first, updates last.
    std::vector<Step> steps, updates;
    for (auto it = tables.rbegin(); it != tables.rend(); ++it) {
        const auto& t = **it;
        const std::string& g = cache_of[t.oid];
        std::string keyed = whole.contains(t.oid) ? ""
                                                  : fmt::format(" AND ({}) IN ({})", join(quoted(key_names(t), "t."), ", "),
                                                                logged_keys(t));
        if (t.primary_key.empty()) {
            steps.push_back({StepKind::remove, t.display(), "DELETE FROM ONLY " + t.qualified()});
        } else {
            steps.push_back({StepKind::remove, t.display(), fmt::format("DELETE FROM ONLY {} t WHERE NOT EXISTS (SELECT 1 FROM {} g WHERE {}){}",
                                                        t.qualified(), g, key_match(t), keyed)});
        }
    }
    for (const auto* tp : tables) {
        const auto& t = *tp;
        const std::string& g = cache_of[t.oid];
        std::string columns = join(quoted(t.copy_columns), ", ");
        if (t.primary_key.empty()) {
            steps.push_back({StepKind::insert, t.display(), t.copy_columns.empty()
                                                ? fmt::format("INSERT INTO {} SELECT FROM {}", t.qualified(), g)
                                                : fmt::format("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {} g",
                                                              t.qualified(), columns, join(cached_values(t), ", "), g)});
            continue;
        }
        std::string keyed = whole.contains(t.oid) ? ""
                                                  : fmt::format(" AND ({}) IN ({})", join(cached_key_values(t), ", "),
                                                                logged_keys(t));
        steps.push_back({StepKind::insert, t.display(), fmt::format("INSERT INTO {0} ({1}) OVERRIDING SYSTEM VALUE SELECT {2} FROM {3} g "
                                                    "WHERE NOT EXISTS (SELECT 1 FROM ONLY {0} t WHERE {4}){5}",
                                                    t.qualified(), columns, join(cached_values(t), ", "), g,
                                                    key_match(t), keyed)});
        std::vector<std::string> assignments;
        auto keys = key_names(t);
        for (std::size_t i = 0; i < t.copy_columns.size(); ++i) {
            const auto& c = t.copy_columns[i];
            bool is_key = std::find(keys.begin(), keys.end(), c) != keys.end();
            bool identity = std::find(t.identity_always.begin(), t.identity_always.end(), c) != t.identity_always.end();
            if (!is_key && !identity) assignments.push_back(fmt::format("{} = {}", pg::quote_ident(c), cached_value(t, i)));
        }
        if (assignments.empty()) continue;
        std::string keyed_t = whole.contains(t.oid) ? ""
                                                    : fmt::format(" AND ({}) IN ({})", join(quoted(keys, "t."), ", "),
                                                                  logged_keys(t));
        updates.push_back({StepKind::update, t.display(), fmt::format("UPDATE ONLY {} t SET {} FROM {} g WHERE {}{}", t.qualified(),
                                                    join(assignments, ", "), g, key_match(t), keyed_t)});
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
