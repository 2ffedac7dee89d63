#include "rebuild/keep.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "pg/copy_stream.hpp"
#include "pg/copy_text.hpp"
#include "rebuild/owned_sequences.hpp"

namespace sandboxctl::rebuild {
namespace {

// The temporary table the kept rows of one rule pass through; dropped after
// each rule (and at the commit anyway).
constexpr const char* staging = "pg_temp.sandboxctl_kept_rows";

const char* rule_hint =
    "Each [[refresh.keep]] rule names a table of the sandbox (schema.name) and an SQL condition on its rows, "
    "evaluated in the sandbox before the refresh.";

std::string column_list(const std::vector<std::string>& columns, std::string_view prefix = "") {
    std::string out;
    for (const auto& c : columns) out += (out.empty() ? "" : ", ") + std::string(prefix) + pg::quote_ident(c);
    return out;
}

std::string rule_name(const config::KeepRule& rule) {
    return fmt::format("could not keep rows of table \"{}\" (where {})", rule.table, rule.where);
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

// The table's keys a kept row can be matched on: the primary key and every
// valid unique index on plain columns without a predicate (a partial or
// expression index cannot be matched row for row). Each key is one SQL
// condition between the table (t) and the kept rows (k); a key on a column
// the rows do not carry is left out.
std::vector<std::string> key_conditions(pg::Connection& target, const std::string& oid,
                                        const std::vector<std::string>& kept_columns) {
    // indnullsnotdistinct exists from PostgreSQL 15 on; read through jsonb,
    // older servers simply lack the key.
    auto result = target.exec(R"(
SELECT i.indexrelid, a.attname, (pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::bool IS TRUE
  FROM pg_catalog.pg_index i
 CROSS JOIN LATERAL unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
 WHERE i.indrelid = $1::pg_catalog.oid AND i.indisunique AND i.indisvalid
   AND i.indpred IS NULL AND i.indexprs IS NULL AND k.ord <= i.indnkeyatts
 ORDER BY i.indexrelid, k.ord)",
                              {oid});
    std::map<std::string, std::vector<std::string>> parts;
    std::map<std::string, bool> usable;
    for (int row = 0; row < result.rows(); ++row) {
        auto index = result.get(row, 0);
        auto column = result.get(row, 1);
        auto quoted = pg::quote_ident(column);
        // NULLS NOT DISTINCT: a NULL collides with a NULL, so it must match one.
        auto op = result.get_bool(row, 2) ? " IS NOT DISTINCT FROM " : " = ";
        parts[index].push_back(fmt::format("t.{0}{1}k.{0}", quoted, op));
        bool kept = std::find(kept_columns.begin(), kept_columns.end(), column) != kept_columns.end();
        usable.try_emplace(index, true).first->second &= kept;
    }
    std::vector<std::string> conditions;
    for (const auto& [index, terms] : parts) {
        if (!usable[index]) continue;
        std::string condition;
        for (const auto& term : terms) condition += (condition.empty() ? "" : " AND ") + term;
        conditions.push_back("(" + condition + ")");
    }
    return conditions;
}

}  // namespace

nlohmann::json kept_json(const std::vector<KeptTable>& kept) {
    auto doc = nlohmann::json::array();
    for (const auto& k : kept) {
        doc.push_back({{"table", k.table}, {"where", k.where}, {"rows", k.rows}, {"replaced", k.replaced}});
    }
    return doc;
}

KeptRows KeptRows::capture(pg::Connection& target, const std::vector<config::KeepRule>& rules) {
    KeptRows kept;
    for (const auto& rule : rules) {
        interrupt::phase_boundary("keep " + rule.table);
        kept.tables_.push_back(capture_rule(target, rule));
    }
    return kept;
}

KeptRows::Captured KeptRows::capture_rule(pg::Connection& target, const config::KeepRule& rule) {
    Captured captured{rule, {}, {}, {}, {}, 0};
    pg::Result table = [&] {
        try {
            return target.exec(R"(
SELECT c.oid, n.nspname, c.relname, c.relkind FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE c.oid = pg_catalog.to_regclass($1))",
                               {rule.table});
        } catch (const pg::PgError& e) {
            if (interrupt::requested()) throw;
            throw failure(fmt::format("could not keep rows of table \"{}\": {}", rule.table, e.server().primary),
                          rule_hint);
        }
    }();
    if (table.rows() == 0) {
        throw failure(fmt::format("could not keep rows of table \"{}\": no such table in the sandbox", rule.table),
                      "Name the table as it is in the sandbox before the refresh, schema-qualified "
                      "(table = \"public.llx_const\"), or remove the [[refresh.keep]] rule.");
    }
    auto oid = table.get(0, 0);
    captured.schema = table.get(0, 1);
    captured.name = table.get(0, 2);
    auto kind = table.get(0, 3);
    if (kind != "r" && kind != "p") {
        throw failure(fmt::format("could not keep rows of table \"{}\": it is not a table", rule.table),
                      "Only the rows of tables can be kept; a view's or materialized view's rows come from "
                      "its tables.");
    }
    for (const auto& c : writable_columns(target, oid)) captured.columns.push_back(c.name);
    // ONLY: the rows of an inheritance child belong to the child's own rule.
    // A partitioned table's rows are all in its partitions, so no ONLY there.
    auto qualified = pg::qualified_name(captured.schema, captured.name);
    auto sql = fmt::format("COPY (SELECT {} FROM {}{} WHERE ({})) TO STDOUT", column_list(captured.columns),
                           kind == "r" ? "ONLY " : "", qualified, rule.where);
    try {
        auto counters = pg::copy_out(target, sql, [&](std::string_view row) { captured.rows.append(row); });
        captured.count = counters.rows;
    } catch (const pg::PgError& e) {
        if (interrupt::requested()) throw;
        throw failure(fmt::format("{}: the condition failed: {}", rule_name(rule), e.server().primary),
                      "Check the where of this [[refresh.keep]] rule: an SQL condition on the rows of " +
                          captured.schema + "." + captured.name + ", as they are in the sandbox.");
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
    auto display = captured.schema + "." + captured.name;
    KeptTable outcome{display, captured.rule.where, captured.count, 0};
    auto table = target.exec(R"(
SELECT c.oid FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))",
                             {captured.schema, captured.name});
    if (table.rows() == 0) {
        throw failure(
            fmt::format("{}: table \"{}\" no longer exists after the load", rule_name(captured.rule), display),
            "Prod no longer has this table, or the refresh leaves it out (refresh.exclude). Remove the "
            "[[refresh.keep]] rule, or point it at the table's new name.");
    }
    auto oid = table.get(0, 0);
    auto columns = writable_columns(target, oid);
    bool identity = false;
    for (const auto& name : captured.columns) {
        auto found = std::find_if(columns.begin(), columns.end(), [&](const Column& c) { return c.name == name; });
        if (found == columns.end()) {
            throw failure(fmt::format("{}: column \"{}\" of the kept rows no longer exists in table \"{}\" (or is "
                                      "now generated)",
                                      rule_name(captured.rule), name, display),
                          "Prod's table no longer has this column: drop it from the sandbox's table before the "
                          "refresh, or leave the [[refresh.keep]] rule out of this one.");
        }
        identity = identity || found->identity;
    }
    if (captured.count == 0) return outcome;

    auto qualified = pg::qualified_name(captured.schema, captured.name);
    auto names = column_list(captured.columns);
    try {
        // Shaped like the rebuilt table, so each value is read with the new
        // column types.
        target.exec(fmt::format("CREATE TEMPORARY TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA", staging,
                                names, qualified));
        pg::CopyIn copy(target, fmt::format("COPY {} ({}) FROM STDIN", staging, names));
        copy.put(captured.rows);
        copy.finish();
        auto keys = key_conditions(target, oid, captured.columns);
        if (!keys.empty()) {
            std::string condition;
            for (const auto& key : keys) condition += (condition.empty() ? "" : " OR ") + key;
            outcome.replaced =
                target.query_integer(fmt::format("WITH replaced AS (DELETE FROM {} t USING {} k WHERE {} RETURNING 1) "
                                                 "SELECT count(*) FROM replaced",
                                                 qualified, staging, condition));
        }
        target.exec(fmt::format("INSERT INTO {} ({}){} SELECT {} FROM {}", qualified, names,
                                identity ? " OVERRIDING SYSTEM VALUE" : "", names, staging));
        target.exec(fmt::format("DROP TABLE {}", staging));
        advance_owned_sequences(target, qualified);
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
        std::string message = e.server().primary;
        if (!e.server().detail.empty()) message += "\nDETAIL: " + e.server().detail;
        throw failure(fmt::format("{}: could not write them back: {}", rule_name(captured.rule), message), hint);
    }
    log::detail("wrote back {} kept rows of {}, replacing {}", outcome.rows, display, outcome.replaced);
    return outcome;
}

}  // namespace sandboxctl::rebuild
