#include "snapshot/cache_sql.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/own_schemas.hpp"
#include "pg/connection.hpp"
#include "snapshot/own_schema_sql.hpp"

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
        out.push_back(t.copy_column_builtin[i] ? name : fmt::format("{}::text AS {}", name, name));
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
    for (std::size_t i = 0; i < names.size(); ++i)
        parts.push_back("t." + pg::quote_ident(names[i]) + " = " + values[i]);
    return join(parts, " AND ");
}

// "(t.a::text, ...) IS DISTINCT FROM (g.a::text, ...)" over the columns an
// update sets: compared as text, as every type has a text form (json, point
// and others have no equality operator) and the cache holds some as text.
std::string differs(const catalog::Relation& t, const std::vector<std::size_t>& columns) {
    std::vector<std::string> mine, cached;
    for (std::size_t i : columns) {
        mine.push_back("t." + pg::quote_ident(t.copy_columns[i]) + "::text");
        cached.push_back("g." + pg::quote_ident(t.copy_columns[i]) + "::text");
    }
    return fmt::format("({}) IS DISTINCT FROM ({})", join(mine, ", "), join(cached, ", "));
}

// The columns an update sets: all but the key and identity ALWAYS columns.
std::vector<std::size_t> updatable_columns(const catalog::Relation& t) {
    auto keys = key_names(t);
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < t.copy_columns.size(); ++i) {
        const auto& c = t.copy_columns[i];
        bool is_key = std::find(keys.begin(), keys.end(), c) != keys.end();
        bool identity = std::find(t.identity_always.begin(), t.identity_always.end(), c) != t.identity_always.end();
        if (!is_key && !identity) out.push_back(i);
    }
    return out;
}

// The rows of one table that differ from the cache, as the WHERE clauses of
// the statements that put the whole table back.
struct Diff {
    std::string missing;  // cache rows absent from the table (alias g)
    std::string extra;    // table rows absent from the cache (alias t)
    std::string changed;  // rows in both whose content differs (aliases t, g)
};

Diff keyed_diff(const catalog::Relation& t, const std::string& g) {
    Diff diff;
    diff.missing = fmt::format("NOT EXISTS (SELECT 1 FROM ONLY {} t WHERE {})", t.qualified(), key_match(t));
    diff.extra = fmt::format("NOT EXISTS (SELECT 1 FROM {} g WHERE {})", g, key_match(t));
    auto columns = updatable_columns(t);
    if (!columns.empty()) diff.changed = key_match(t) + " AND " + differs(t, columns);
    return diff;
}

// The logged keys of one table as a relation k (k0, k1, ...), cast back to
// their column types.
std::string logged_key_relation(const catalog::Relation& t) {
    std::vector<std::string> columns;
    std::size_t i = 0;
    for (const auto& [name, type] : t.primary_key) {
        columns.push_back(fmt::format("(key ->> {})::{} AS k{}", pg::quote_literal(name), type, i++));
    }
    return fmt::format("(SELECT DISTINCT {} FROM {}.changes WHERE relid = {} AND key IS NOT NULL) k",
                       join(columns, ", "), own_schemas::tracking, t.oid);
}

// "t.a = k.k0 AND ..." (or "g.a = k.k0", cast back): a side joined to the
// logged keys, so that each key is probed through the side's index.
std::string on_logged_keys(const std::vector<std::string>& side) {
    std::vector<std::string> parts;
    for (std::size_t i = 0; i < side.size(); ++i) parts.push_back(fmt::format("{} = k.k{}", side[i], i));
    return join(parts, " AND ");
}

// A delta reset after a scenario touches a few rows: each statement starts
// from the logged keys and probes the table and the cache by key, so its cost
// follows the rows changed, not the table's size (an IN (logged keys) filter
// left the planner scanning the table).
KeyedRestore logged_keys_restore(const catalog::Relation& t, const std::string& cache) {
    auto t_keys = quoted(key_names(t), "t.");
    auto g_keys = cached_key_values(t);
    KeyedRestore out;
    out.remove = fmt::format("DELETE FROM ONLY {} t USING {} WHERE {} AND NOT EXISTS (SELECT 1 FROM {} g WHERE {})",
                             t.qualified(), logged_key_relation(t), on_logged_keys(t_keys), cache, key_match(t));
    std::string select = t.copy_columns.empty() ? "" : join(cached_values(t), ", ");
    std::string columns = t.copy_columns.empty() ? "" : "(" + join(quoted(t.copy_columns), ", ") + ") ";
    out.insert = fmt::format("INSERT INTO {} {}OVERRIDING SYSTEM VALUE SELECT {} FROM {} g JOIN {} ON {} WHERE NOT "
                             "EXISTS (SELECT 1 FROM ONLY {} t WHERE {})",
                             t.qualified(), columns, select, cache, logged_key_relation(t), on_logged_keys(g_keys),
                             t.qualified(), key_match(t));
    auto updatable = updatable_columns(t);
    if (updatable.empty()) return out;
    std::vector<std::string> assignments;
    for (std::size_t i : updatable) {
        assignments.push_back(fmt::format("{} = {}", pg::quote_ident(t.copy_columns[i]), cached_value(t, i)));
    }
    out.update = fmt::format("UPDATE ONLY {} t SET {} FROM {} g, {} WHERE {} AND {} AND {}", t.qualified(),
                             join(assignments, ", "), cache, logged_key_relation(t), on_logged_keys(t_keys),
                             key_match(t), differs(t, updatable));
    return out;
}

}  // namespace

std::string cache_build_script(const std::vector<const catalog::Relation*>& tables) {
    std::string sql =
        in_own_schemas("DROP SCHEMA IF EXISTS {cache} CASCADE;\nCREATE SCHEMA {cache};\n"
                       "COMMENT ON SCHEMA {cache} IS 'sandboxctl golden copy for delta resets; do not edit';\n"
                       "CREATE TABLE {cache}.tables (schema text NOT NULL, name text NOT NULL, cache text NOT NULL,\n"
                       "                                      PRIMARY KEY (schema, name));\n");
    int index = 0;
    for (const auto* t : tables) {
        std::string cache = fmt::format("{}.g{}", own_schemas::cache, ++index);
        sql +=
            fmt::format("CREATE TABLE {} AS SELECT {} FROM ONLY {};\n", cache, cache_select_list(*t), t->qualified());
        if (!t->primary_key.empty()) {
            sql += fmt::format("CREATE INDEX ON {} ({});\n", cache, join(quoted(key_names(*t)), ", "));
        }
        sql += fmt::format("ANALYZE {};\nINSERT INTO {}.tables VALUES ({}, {}, '{}');\n", cache, own_schemas::cache,
                           pg::quote_literal(t->schema), pg::quote_literal(t->name), cache);
    }
    sql += in_own_schemas("CREATE TABLE {cache}.meta (snapshot text NOT NULL);\n");
    return sql;
}

std::string insert_all_cached(const catalog::Relation& t, const std::string& cache) {
    if (t.copy_columns.empty()) return fmt::format("INSERT INTO {} SELECT FROM {}", t.qualified(), cache);
    return fmt::format("INSERT INTO {} ({}) OVERRIDING SYSTEM VALUE SELECT {} FROM {} g", t.qualified(),
                       join(quoted(t.copy_columns), ", "), join(cached_values(t), ", "), cache);
}

KeyedRestore keyed_restore(const catalog::Relation& t, const std::string& cache, bool restrict_to_log) {
    if (restrict_to_log) return logged_keys_restore(t, cache);
    auto diff = keyed_diff(t, cache);
    KeyedRestore out;
    out.remove = fmt::format("DELETE FROM ONLY {} t WHERE {}", t.qualified(), diff.extra);
    out.insert = insert_all_cached(t, cache) + " WHERE " + diff.missing;
    if (diff.changed.empty()) return out;
    std::vector<std::string> assignments;
    for (std::size_t i : updatable_columns(t)) {
        assignments.push_back(fmt::format("{} = {}", pg::quote_ident(t.copy_columns[i]), cached_value(t, i)));
    }
    out.update = fmt::format("UPDATE ONLY {} t SET {} FROM {} g WHERE {}", t.qualified(), join(assignments, ", "),
                             cache, diff.changed);
    return out;
}

std::string reload_script(const catalog::Relation& t, const std::string& cache, bool referenced,
                          const std::string& drop_keys, const std::string& add_keys) {
    std::string empty = referenced ? "DELETE FROM ONLY " + t.qualified() : "TRUNCATE ONLY " + t.qualified();
    return drop_keys + empty + ";\n" + insert_all_cached(t, cache) + ";\n" + add_keys;
}

std::string keyed_reload_counts(const catalog::Relation& t, const std::string& cache, bool restrict_to_log) {
    // One pass, hash joins: the logged keys (or every key) against the
    // table and the cache; ctid is NULL on the side a key is missing from.
    auto columns = updatable_columns(t);
    std::string changed = columns.empty() ? "false" : differs(t, columns);
    std::string from;
    if (restrict_to_log) {
        auto names = key_names(t);
        auto cached_keys = cached_key_values(t);
        std::vector<std::string> logged, on_t, on_g;
        for (std::size_t i = 0; i < names.size(); ++i) {
            logged.push_back(
                fmt::format("(key ->> {})::{} AS k{}", pg::quote_literal(names[i]), t.primary_key[i].second, i));
            on_t.push_back(fmt::format("t.{} = k.k{}", pg::quote_ident(names[i]), i));
            on_g.push_back(fmt::format("{} = k.k{}", cached_keys[i], i));
        }
        from = fmt::format("(SELECT DISTINCT {} FROM {}.changes WHERE relid = {} AND key IS NOT NULL) k "
                           "LEFT JOIN ONLY {} t ON {} LEFT JOIN {} g ON {}",
                           join(logged, ", "), own_schemas::tracking, t.oid, t.qualified(), join(on_t, " AND "), cache,
                           join(on_g, " AND "));
    } else {
        from = fmt::format("ONLY {} t FULL JOIN {} g ON {}", t.qualified(), cache, key_match(t));
    }
    return fmt::format("SELECT count(*) FILTER (WHERE g.ctid IS NULL AND t.ctid IS NOT NULL), "
                       "count(*) FILTER (WHERE t.ctid IS NULL AND g.ctid IS NOT NULL), "
                       "count(*) FILTER (WHERE t.ctid IS NOT NULL AND g.ctid IS NOT NULL AND {}) FROM {}",
                       changed, from);
}

std::string unkeyed_reload_count(const catalog::Relation& t, const std::string& cache, bool table_side) {
    std::vector<std::string> columns;
    for (const auto& c : t.copy_columns) columns.push_back(pg::quote_ident(c) + "::text");
    std::string list = join(columns, ", ");
    std::string table_rows = fmt::format("SELECT {} FROM ONLY {}", list, t.qualified());
    std::string cache_rows = fmt::format("SELECT {} FROM {}", list, cache);
    return table_side ? fmt::format("SELECT count(*) FROM ({} EXCEPT ALL {}) d", table_rows, cache_rows)
                      : fmt::format("SELECT count(*) FROM ({} EXCEPT ALL {}) d", cache_rows, table_rows);
}

}  // namespace sandboxctl::snapshot
