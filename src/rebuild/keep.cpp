#include "rebuild/keep.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <optional>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "pg/copy_stream.hpp"
#include "pg/copy_text.hpp"
#include "pg/sql.hpp"
#include "rebuild/owned_sequences.hpp"
#include "schema/sql_statements.hpp"

namespace sandboxctl::rebuild {
namespace {

// The temporary table the kept rows of one rule pass through; dropped after
// each rule (and at the commit anyway).
sql::Fragment kept_rows_staging() { return "pg_temp.sandboxctl_kept_rows"; }

constexpr const char* key_hint =
    "Give the rule the columns that identify a row, key = [\"col\", ...], or add a primary key to the table: "
    "without one, a kept row cannot replace prod's version of it and every refresh would add a copy.";

std::vector<sql::Identifier> identifiers(const std::vector<std::string>& names) { return {names.begin(), names.end()}; }

sql::Fragment column_list(const std::vector<std::string>& columns) { return sql::join(identifiers(columns), ", "); }

std::string rule_label(const config::KeepRule& rule) {
    return fmt::format("[[refresh.keep]] table \"{}\"{}", rule.table,
                       rule.origin.empty() ? "" : " (" + rule.origin + ")");
}

std::string rule_name(const config::KeepRule& rule) {
    return fmt::format("could not keep rows of table \"{}\" (where {})", rule.table, rule.where);
}

// The rule's where as it is sent: inside parentheses of its own, on lines of
// its own (so a trailing -- comment ends there). The user's SQL by design:
// check_keep_rules found it one expression, and it runs through exec_one.
sql::Fragment condition_of(const config::KeepRule& rule) {
    return sql::format("(\n{}\n)", sql::Fragment::user_sql(rule.where));
}

struct Column {
    std::string name;
    bool identity = false;
};

// The columns a COPY or an INSERT may write: stored, not generated.
std::vector<Column> writable_columns(pg::Connection& target, const std::string& oid) {
    auto result = target.exec(R"(
SELECT attname, attidentity <> '' FROM pg_catalog.pg_attribute
 WHERE attrelid = $1::pg_catalog.oid AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
 ORDER BY attnum)",
                              {oid});
    std::vector<Column> columns;
    for (int row = 0; row < result.rows(); ++row) columns.push_back({result.get(row, 0), result.get_bool(row, 1)});
    return columns;
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

struct TableKey {
    std::vector<std::string> columns;
    bool nulls_not_distinct = false;
    // Every column NOT NULL, or NULLS NOT DISTINCT: two rows equal on the
    // key are one row. Otherwise a row with a NULL in the key matches no row
    // and each refresh would add a copy of it.
    bool identifies_rows = false;
};

// The table's keys a kept row can be matched on, the primary key first: the
// primary key and every valid unique index on plain columns without a
// predicate (a partial or expression index cannot be matched row for row).
std::vector<TableKey> table_keys(pg::Connection& target, const std::string& oid) {
    // indnullsnotdistinct exists from PostgreSQL 15 on; read through jsonb,
    // older servers simply lack the key.
    auto result = target.exec(R"(
SELECT i.indexrelid, a.attname, (pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::bool IS TRUE, a.attnotnull
  FROM pg_catalog.pg_index i
 CROSS JOIN LATERAL unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = $1::pg_catalog.oid AND i.indisunique AND i.indisvalid
   AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
 ORDER BY i.indisprimary DESC, i.indexrelid, k.ord)",
                              {oid});
    std::vector<TableKey> keys;
    std::string index;
    for (int row = 0; row < result.rows(); ++row) {
        if (keys.empty() || result.get(row, 0) != index) {
            keys.emplace_back();
            keys.back().identifies_rows = true;
        }
        index = result.get(row, 0);
        keys.back().columns.push_back(result.get(row, 1));
        keys.back().nulls_not_distinct = result.get_bool(row, 2);
        keys.back().identifies_rows =
            keys.back().identifies_rows && (result.get_bool(row, 2) || result.get_bool(row, 3));
    }
    return keys;
}

// One SQL condition between the table (t) and the kept rows (k).
sql::Fragment key_condition(const std::vector<std::string>& columns, bool nulls_match) {
    std::vector<sql::Fragment> terms;
    for (const auto& column : identifiers(columns)) {
        // NULLS NOT DISTINCT (or the rule's own key): a NULL matches a NULL.
        terms.push_back(nulls_match ? sql::format("t.{0} IS NOT DISTINCT FROM k.{0}", column)
                                    : sql::format("t.{0} = k.{0}", column));
    }
    return sql::format("({})", sql::join(terms, " AND "));
}

// The key a rule matches kept rows on: its own, or the table's first key
// that identifies rows and whose columns the kept rows carry; else why
// there is none (`why`, and an empty key).
std::vector<std::string> find_rule_key(const config::KeepRule& rule, const std::vector<TableKey>& keys,
                                       const std::vector<std::string>& columns, std::string& why) {
    for (const auto& column : rule.key) {
        if (!contains(columns, column)) {
            why = fmt::format("key column \"{}\" is not a column of the table", column);
            return {};
        }
    }
    if (!rule.key.empty()) return rule.key;
    for (const auto& key : keys) {
        if (key.identifies_rows &&
            std::all_of(key.columns.begin(), key.columns.end(), [&](const auto& c) { return contains(columns, c); })) {
            return key.columns;
        }
    }
    why = "the table has no primary key, nor a unique key on NOT NULL columns";
    return {};
}

// The same, a usage error naming the rule when there is no key.
std::vector<std::string> rule_key(const config::KeepRule& rule, const std::vector<TableKey>& keys,
                                  const std::vector<std::string>& columns) {
    std::string why;
    auto key = find_rule_key(rule, keys, columns, why);
    if (key.empty()) throw usage_error(fmt::format("{}: {}", rule_label(rule), why), key_hint);
    return key;
}

struct Resolved {
    std::string oid, schema, name, kind;

    sql::QualifiedName qualified() const { return {schema, name}; }
    // ONLY for a plain table: the rows of an inheritance child belong to the
    // child's own rule. A partitioned table's rows are all in its
    // partitions, so no ONLY there.
    sql::Fragment only() const { return kind == "r" ? sql::Fragment("ONLY ") : sql::Fragment(""); }
};

// The rule's table in `conn`, if it exists there.
std::optional<Resolved> resolve(pg::Connection& conn, const config::KeepRule& rule) {
    pg::Result table = [&] {
        try {
            return conn.exec(R"(
SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = pg_catalog.to_regclass($1))",
                             {rule.table});
        } catch (const pg::PgError& e) {
            if (interrupt::requested()) throw;
            throw usage_error(fmt::format("{}: {}", rule_label(rule), e.server().primary),
                              "Name the table schema-qualified, as in table = \"public.llx_const\".");
        }
    }();
    if (table.rows() == 0) return std::nullopt;
    Resolved resolved{table.get(0, 0), table.get(0, 1), table.get(0, 2), table.get(0, 3)};
    if (resolved.kind != "r" && resolved.kind != "p") {
        throw usage_error(fmt::format("{}: it is not a table", rule_label(rule)),
                          "Only the rows of tables can be kept; a view's or materialized view's rows come from its "
                          "tables.");
    }
    return resolved;
}

// Errors that say nothing about the rule or the sandbox's rows: the run
// cannot go on, whatever the rule.
bool is_fatal(const pg::PgError& e) {
    return interrupt::requested() || e.sqlstate() == "57014" || e.sqlstate() == "55P03" || e.sqlstate() == "40P01" ||
           e.sqlstate().starts_with("08");
}

// Runs `body` under a savepoint with the statement timeout `timeout` (and
// standard strings, which the rule's text was checked with); the settings
// end with it. Returns the error that rolled it back, if one did.
template <typename Body>
std::optional<pg::PgError> under_savepoint(pg::Connection& conn, std::chrono::milliseconds timeout, Body&& body) {
    conn.exec("SAVEPOINT sandboxctl_keep");
    try {
        auto previous = conn.query_value("SELECT pg_catalog.current_setting('statement_timeout')");
        conn.exec(sql::format("SET LOCAL statement_timeout = {}", timeout.count()));
        conn.exec("SET LOCAL standard_conforming_strings = on");
        body();
        conn.exec("SELECT pg_catalog.set_config('statement_timeout', $1, true)", {previous});
        conn.exec("RELEASE SAVEPOINT sandboxctl_keep");
        return std::nullopt;
    } catch (const pg::PgError& e) {
        if (PQtransactionStatus(conn.raw()) == PQTRANS_INERROR) {
            conn.exec("ROLLBACK TO SAVEPOINT sandboxctl_keep");
            conn.exec("RELEASE SAVEPOINT sandboxctl_keep");
        }
        return e;
    }
}

[[noreturn]] void throw_fatal(const config::KeepRule& rule, const pg::PgError& e, std::chrono::milliseconds timeout) {
    if (interrupt::requested()) throw e;
    if (e.sqlstate() == "57014") {
        throw failure(
            fmt::format("{}: the where ran longer than {} ms and was cancelled", rule_name(rule), timeout.count()),
            "A where should pick a few rows cheaply; set --statement-timeout (refresh.statement_timeout) to "
            "allow it longer.");
    }
    throw failure(fmt::format("{}: {}", rule_name(rule), e.primary_without_values()));
}

// One rule against prod's table (see require_keep_rules_fit_source).
// Returns whether prod has the table.
bool require_rule_fits_source(pg::Connection& source, const config::KeepRule& rule) {
    auto table = resolve(source, rule);
    if (!table) return false;
    std::vector<std::string> columns;
    for (const auto& c : writable_columns(source, table->oid)) columns.push_back(c.name);
    rule_key(rule, table_keys(source, table->oid), columns);
    // Planned, not run: a where that does not fit prod's table is a mistake
    // in the rule, found before anything changes.
    try {
        source.exec_one(
            sql::format("EXPLAIN SELECT FROM {}{} WHERE {}", table->only(), table->qualified(), condition_of(rule)));
    } catch (const pg::PgError& e) {
        if (interrupt::requested()) throw;
        throw usage_error(fmt::format("{}: where does not fit prod's table {}.{}: {}", rule_label(rule), table->schema,
                                      table->name, e.primary_without_values()),
                          "The where is evaluated on the sandbox's rows, and they are written back into prod's "
                          "table: write it against the columns prod's table has.");
    }
    return true;
}

// Runs `body` on the source session with the names of a rule read as in the
// sandbox's sessions (the default search_path; the source session reads with
// an empty one), under a savepoint rolled back after: the session stays
// usable after an error, and the path is its own again.
template <typename Body>
void with_default_path(pg::Connection& source, Body&& body) {
    bool in_transaction = PQtransactionStatus(source.raw()) == PQTRANS_INTRANS;
    auto rollback = [&] {
        source.exec("ROLLBACK TO SAVEPOINT sandboxctl_keep_plan");
        source.exec("RELEASE SAVEPOINT sandboxctl_keep_plan");
    };
    if (in_transaction) {
        source.exec("SAVEPOINT sandboxctl_keep_plan");
        source.exec("SET LOCAL search_path = \"$user\", public");
    }
    try {
        body();
    } catch (...) {
        if (in_transaction && !interrupt::requested()) rollback();
        throw;
    }
    if (in_transaction) rollback();
}

}  // namespace

nlohmann::json kept_json(const std::vector<KeptTable>& kept) {
    auto doc = nlohmann::json::array();
    for (const auto& k : kept) {
        doc.push_back({{"table", k.table},
                       {"where", k.where},
                       {"key", k.key},
                       {"rows", k.rows},
                       {"replaced", k.replaced},
                       {"skipped", k.skipped.empty() ? nlohmann::json() : nlohmann::json(k.skipped)}});
    }
    return doc;
}

void check_keep_rules(const std::vector<config::KeepRule>& rules) {
    for (const auto& rule : rules) {
        if (auto problem = schema::expression_problem(rule.where)) {
            throw usage_error(fmt::format("{}: where is not one SQL expression: {}", rule_label(rule), *problem),
                              "A where is one boolean expression on the table's rows, such as \"name LIKE 'AGENT_%' "
                              "AND entity = 1\"; comments are allowed, a second statement is not.");
        }
    }
}

std::chrono::milliseconds keep_timeout(std::chrono::milliseconds statement_timeout) {
    return statement_timeout.count() > 0 ? statement_timeout : std::chrono::minutes(1);
}

std::vector<safety::Check> inspect_keep_rules(pg::Connection* source, pg::Connection& target,
                                              const std::vector<config::KeepRule>& rules,
                                              std::chrono::milliseconds timeout) {
    std::vector<safety::Check> checks;
    target.exec("BEGIN READ ONLY");
    for (const auto& rule : rules) {
        safety::Check check{
            fmt::format("keep rule {}", rule_label(rule).substr(std::string_view("[[refresh.keep]] ").size())),
            safety::Status::pass, ""};
        try {
            check_keep_rules({rule});
            // Prod's side first: a rule that does not fit prod's table fails
            // whatever the sandbox holds.
            // One read of prod's side: the table, its key and the where.
            bool in_prod = true;
            if (source) with_default_path(*source, [&] { in_prod = require_rule_fits_source(*source, rule); });
            auto table = resolve(target, rule);
            if (!table) {
                check.status = safety::Status::warn;
                check.reason = "no such table in the sandbox: nothing to keep now (a first refresh keeps nothing)";
                checks.push_back(check);
                continue;
            }
            std::vector<std::string> columns;
            for (const auto& c : writable_columns(target, table->oid)) columns.push_back(c.name);
            auto key = rule_key(rule, table_keys(target, table->oid), columns);
            long long matched = 0;
            auto error = under_savepoint(target, timeout, [&] {
                matched = target
                              .exec_one(sql::format("SELECT count(*) FROM {}{} WHERE {}", table->only(),
                                                    table->qualified(), condition_of(rule)))
                              .get_int(0, 0);
            });
            if (error) {
                if (interrupt::requested()) throw *error;
                check.status = safety::Status::fail;
                check.reason = fmt::format("the where fails in the sandbox: {}", error->primary_without_values());
                checks.push_back(check);
                continue;
            }
            check.reason =
                fmt::format("{}.{} in the sandbox{}, key ({}), {} rows match now", table->schema, table->name,
                            source ? (in_prod ? " and in prod" : "") : "", fmt::join(key, ", "), matched);
            if (!in_prod) {
                check.status = safety::Status::warn;
                check.reason += "; prod has no such table, so the kept rows cannot go back";
            }
        } catch (const Error& e) {
            if (interrupt::requested() || dynamic_cast<const pg::PgError*>(&e)) throw;
            check.status = safety::Status::fail;
            check.reason = e.what();
        }
        checks.push_back(check);
    }
    target.exec("ROLLBACK");
    return checks;
}

void require_keep_rules_fit_source(pg::Connection& source, const std::vector<config::KeepRule>& rules) {
    for (const auto& rule : rules) {
        bool in_prod = true;
        with_default_path(source, [&] { in_prod = require_rule_fits_source(source, rule); });
        if (!in_prod) {
            log::warning("{}: prod has no such table: the rows this rule keeps cannot go back", rule_label(rule));
        }
    }
}

KeptRows KeptRows::capture(pg::Connection& target, const std::vector<config::KeepRule>& rules,
                           std::chrono::milliseconds timeout) {
    KeptRows kept;
    for (const auto& rule : rules) {
        interrupt::phase_boundary("keep " + rule.table);
        kept.tables_.push_back(capture_rule(target, rule, kept.tables_, timeout));
        if (!kept.tables_.back().skipped.empty()) {
            log::warning("{}: {}", rule_label(rule), kept.tables_.back().skipped);
        }
    }
    return kept;
}

KeptRows::Captured KeptRows::capture_rule(pg::Connection& target, const config::KeepRule& rule,
                                          const std::vector<Captured>& earlier, std::chrono::milliseconds timeout) {
    Captured captured{rule, {}, {}, {}, {}, {}, 0, {}};
    auto table = resolve(target, rule);
    if (!table) {
        captured.skipped = "no such table in the sandbox: nothing to keep";
        return captured;
    }
    captured.schema = table->schema;
    captured.name = table->name;
    for (const auto& c : writable_columns(target, table->oid)) captured.columns.push_back(c.name);
    // The sandbox's table may have lost its key (the agent dropped or
    // renamed it): nothing can be kept, but the way back must not be
    // blocked. A rule that does not fit prod's table was refused before.
    std::string why;
    captured.key = find_rule_key(rule, table_keys(target, table->oid), captured.columns, why);
    if (captured.key.empty()) {
        captured.skipped = "no key to keep rows on in the sandbox's table: " + why;
        return captured;
    }
    // A row an earlier rule on this table kept is that rule's: each row is
    // kept, and counted, once.
    auto condition = condition_of(rule);
    for (const auto& other : earlier) {
        if (other.skipped.empty() && other.schema == captured.schema && other.name == captured.name) {
            condition = sql::format("{} AND NOT COALESCE({}, false)", condition, condition_of(other.rule));
        }
    }
    auto copy = sql::format("COPY (SELECT {} FROM {}{} WHERE {}) TO STDOUT", column_list(captured.columns),
                            table->only(), table->qualified(), condition);
    auto error = under_savepoint(target, timeout, [&] {
        captured.rows.clear();
        auto counters =
            pg::copy_out(target, target.text_of(copy), [&](std::string_view row) { captured.rows.append(row); });
        captured.count = counters.rows;
    });
    if (error) {
        if (is_fatal(*error)) throw_fatal(rule, *error, timeout);
        captured.rows.clear();
        captured.count = 0;
        captured.skipped =
            fmt::format("the where fails on the sandbox's table, nothing kept: {}", error->primary_without_values());
        return captured;
    }
    log::detail("kept {} rows of {}.{} (where {})", captured.count, captured.schema, captured.name, rule.where);
    return captured;
}

std::vector<std::string> KeptRows::values_of(std::string_view table, std::string_view column) const {
    std::vector<std::string> values;
    for (const auto& captured : tables_) {
        if (captured.name != table) continue;
        auto found = std::find(captured.columns.begin(), captured.columns.end(), column);
        if (found == captured.columns.end()) continue;
        auto index = static_cast<std::size_t>(found - captured.columns.begin());
        pg::CopyTextDecoder decoder([&](const pg::CopyRow& row) {
            if (index < row.size() && row[index]) values.push_back(*row[index]);
        });
        decoder.feed(captured.rows);
        decoder.finish();
    }
    return values;
}

std::vector<KeptTable> KeptRows::write_back(pg::Connection& target) const {
    std::vector<KeptTable> kept;
    for (const auto& captured : tables_) {
        interrupt::phase_boundary("keep " + captured.rule.table);
        kept.push_back(write_back_rule(target, captured));
    }
    return kept;
}

KeptTable KeptRows::write_back_rule(pg::Connection& target, const Captured& captured) {
    const auto& rule = captured.rule;
    auto display = captured.schema.empty() ? rule.table : captured.schema + "." + captured.name;
    KeptTable outcome{display, rule.where, captured.key, 0, 0, captured.skipped};
    if (!captured.skipped.empty() || captured.count == 0) return outcome;
    auto skip = [&](std::string why) {
        log::warning("{}: {}", rule_label(rule), why);
        outcome.skipped = std::move(why);
        return outcome;
    };
    auto table = target.exec(R"(
SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))",
                             {captured.schema, captured.name});
    if (table.rows() == 0) {
        return skip(fmt::format("table {} no longer exists after the load (prod has no such table, or the refresh "
                                "leaves it out): its {} kept rows are not written back",
                                display, captured.count));
    }
    auto oid = table.get(0, 0);
    auto columns = writable_columns(target, oid);
    // What the loaded table still has of the kept columns; the others are
    // staged as text and left out of the write.
    std::vector<std::string> written, dropped;
    std::vector<sql::Fragment> staged;
    bool identity = false;
    for (const auto& name : captured.columns) {
        auto found = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == name; });
        if (found == columns.end()) {
            if (contains(captured.key, name)) {
                return skip(fmt::format("key column \"{}\" no longer exists in table {} after the load: its {} kept "
                                        "rows are not written back",
                                        name, display, captured.count));
            }
            dropped.push_back(name);
            staged.push_back(sql::format("NULL::text AS {}", sql::Identifier(name)));
            continue;
        }
        written.push_back(name);
        staged.push_back(sql::format("{}", sql::Identifier(name)));
        identity = identity || found->identity;
    }
    if (!dropped.empty()) {
        log::warning("{}: written back without column(s) {}, which table {} no longer has after the load",
                     rule_label(rule), fmt::join(dropped, ", "), display);
    }

    sql::QualifiedName qualified(captured.schema, captured.name);
    auto names = column_list(written);
    auto staging = kept_rows_staging();
    try {
        // Shaped like the rebuilt table, so each value is read with the new
        // column types.
        target.exec(sql::format("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA", staging,
                                sql::join(staged, ", "), qualified));
        auto copy_in = sql::format("COPY {} ({}) FROM STDIN", staging, column_list(captured.columns));
        pg::CopyIn copy(target, target.text_of(copy_in));
        copy.put(captured.rows);
        copy.finish();
        // The rule's key, and every unique key of the table the kept rows
        // carry: an insert that collided on any of them would fail.
        std::vector<sql::Fragment> conditions{key_condition(captured.key, !rule.key.empty())};
        for (const auto& key : table_keys(target, oid)) {
            if (std::all_of(key.columns.begin(), key.columns.end(),
                            [&](const auto& c) { return contains(written, c); })) {
                conditions.push_back(key_condition(key.columns, key.nulls_not_distinct));
            }
        }
        outcome.replaced = target.query_integer(
            sql::format("WITH replaced AS (DELETE FROM {} t USING {} k WHERE {} RETURNING 1) SELECT count(*) FROM "
                        "replaced",
                        qualified, staging, sql::join(conditions, " OR ")));
        // Equal on the rule's own key: one row (the table's keys make the
        // sandbox's rows unique already).
        auto distinct = rule.key.empty() ? sql::Fragment("") : sql::format("DISTINCT ON ({}) ", column_list(rule.key));
        auto overriding = identity ? sql::Fragment(" OVERRIDING SYSTEM VALUE") : sql::Fragment("");
        outcome.rows = target.query_integer(
            sql::format("WITH written AS (INSERT INTO {} ({}){} SELECT {}{} FROM {} RETURNING 1) SELECT count(*) "
                        "FROM written",
                        qualified, names, overriding, distinct, names, staging));
        target.exec(sql::format("DROP TABLE {}", staging));
        if (outcome.rows < captured.count) {
            log::warning("{}: {} of the {} kept rows share the rule's key with another kept row and were written "
                         "once",
                         rule_label(rule), captured.count - outcome.rows, captured.count);
        }
        advance_owned_sequences(target, qualified);
        // Deferred constraints checked now, under a savepoint rolled back
        // after: a kept row that breaks one is named here, not at COMMIT.
        target.exec("SAVEPOINT sandboxctl_keep_check");
        target.exec("SET CONSTRAINTS ALL IMMEDIATE");
        target.exec("ROLLBACK TO SAVEPOINT sandboxctl_keep_check");
        target.exec("RELEASE SAVEPOINT sandboxctl_keep_check");
    } catch (const pg::PgError& e) {
        if (interrupt::requested()) throw;
        std::string hint = "Nothing was changed: the sandbox is as it was.";
        if (e.sqlstate() == "23503") {
            hint = "A foreign key stops a kept row from replacing a loaded one (another table refers to the "
                   "loaded row), or a kept row refers to a row prod does not have. Keep the referring rows too, "
                   "or narrow the where. " +
                   hint;
        } else if (e.sqlstate() == "23505") {
            hint = "A kept row collides with a loaded row on a key sandboxctl cannot match row for row (a partial "
                   "or expression unique index). Narrow the where. " +
                   hint;
        }
        // The server's DETAIL is left out: it quotes the failing row's values,
        // and a kept row may hold a secret.
        throw failure(fmt::format("{}: could not write them back: {}", rule_name(rule), e.primary_without_values()),
                      hint);
    }
    log::detail("wrote back {} kept rows of {}, replacing {}", outcome.rows, display, outcome.replaced);
    return outcome;
}

}  // namespace sandboxctl::rebuild
