#include "masking/policy.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/interrupt.hpp"

namespace sandboxctl::masking {
namespace {

struct TableName {
    std::optional<std::string> schema;
    std::string name;
};

// "[schema.]name" as SQL reads it: unquoted letters fold to lower case,
// double quotes keep text as written ("" is a quote).
TableName parse_table_name(const Rule& rule) {
    std::vector<std::string> parts(1);
    bool quoted = false, was_quoted = false;
    const std::string& text = rule.table;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
                parts.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                parts.back() += c;
            }
        } else if (c == '"') {
            quoted = was_quoted = true;
        } else if (c == '.') {
            parts.emplace_back();
        } else {
            parts.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    bool empty_part = std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); });
    if (quoted || parts.size() > 2 || (empty_part && !was_quoted)) {
        throw usage_error(fmt::format("{}: masking rule table \"{}\" is not a [schema.]name", rule.origin, rule.table),
                          "Write table = \"public.llx_societe\" (quote a name with capitals: "
                          "table = 'public.\"Clients\"').");
    }
    if (parts.size() == 2) return {parts[0], parts[1]};
    return {std::nullopt, parts[0]};
}

// The prod relation a rule names: none (an optional rule's table prod lacks)
// or exactly one.
const catalog::Relation* find_table(const catalog::SourceCatalog& catalog, const Rule& rule,
                                    std::vector<std::string>& skipped) {
    auto name = parse_table_name(rule);
    std::vector<const catalog::Relation*> found;
    for (const auto& r : catalog.relations) {
        if (r.name == name.name && (!name.schema || r.schema == *name.schema)) found.push_back(&r);
    }
    if (found.empty()) {
        if (rule.optional) {
            skipped.push_back(fmt::format("{}: no such table in prod", rule.table));
            return nullptr;
        }
        throw usage_error(
            fmt::format("{}: masking rule names table \"{}\", which prod does not have", rule.origin, rule.table),
            "A renamed or dropped table must be renamed in its rule too: a rule that matches nothing "
            "would let the table it meant through unmasked.");
    }
    if (found.size() > 1) {
        throw usage_error(
            fmt::format("{}: masking rule table \"{}\" is in {} schemas", rule.origin, rule.table, found.size()),
            fmt::format("Name the schema: table = \"{}.{}\".", found[0]->schema, found[0]->name));
    }
    const auto* table = found.front();
    if (table->relkind != 'r') {
        throw usage_error(fmt::format("{}: masking rule table \"{}\" is a {}", rule.origin, rule.table, table->kind()),
                          table->relkind == 'p' ? "Name each partition in a rule of its own: rows are copied "
                                                  "partition by partition."
                                                : "Only a table's rows are copied; mask the tables it reads from.");
    }
    return table;
}

struct ColumnFacts {
    bool not_null = false;
    bool holds_text = false;  // strings, json, arrays, composites, bytea, xml, network addresses
    bool is_string = false;   // text, varchar, char and their domains: a made-up string fits
    std::size_t max_chars = 0;
};

std::map<std::string, ColumnFacts> column_facts(pg::Connection& conn, const catalog::Relation& table) {
    auto result = conn.exec(R"(
SELECT a.attname, a.attnotnull,
       COALESCE(b.typcategory, t.typcategory) IN ('S', 'U', 'A', 'C', 'I'),
       COALESCE(b.typcategory, t.typcategory) = 'S',
       CASE WHEN COALESCE(b.typname, t.typname) IN ('varchar', 'bpchar')
            THEN GREATEST(CASE WHEN t.typtype = 'd' THEN t.typtypmod ELSE a.atttypmod END - 4, 0) ELSE 0 END
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype
WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped)",
                            {std::to_string(table.oid)});
    std::map<std::string, ColumnFacts> facts;
    for (int row = 0; row < result.rows(); ++row) {
        facts[result.get(row, 0)] = {result.get_bool(row, 1), result.get_bool(row, 2), result.get_bool(row, 3),
                                     static_cast<std::size_t>(result.get_int(row, 4))};
    }
    return facts;
}

// Unique indexes on plain columns (an expression's or a partial index's
// uniqueness is left to the index build, which fails the run as clearly).
struct UniqueIndex {
    std::string name;
    std::vector<std::string> columns;
    bool nulls_not_distinct = false;
};

// (indnullsnotdistinct is read through to_jsonb: PostgreSQL 14 has no such column.)
std::vector<UniqueIndex> unique_indexes(pg::Connection& conn, const catalog::Relation& table) {
    auto result = conn.exec(R"(
SELECT c.relname, (SELECT pg_catalog.json_agg(a.attname ORDER BY k.n)
                   FROM pg_catalog.unnest(i.indkey::pg_catalog.int2[]) WITH ORDINALITY AS k(attnum, n)
                   JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum),
       COALESCE((pg_catalog.to_jsonb(i) ->> 'indnullsnotdistinct')::boolean, false)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = $1::pg_catalog.oid AND i.indisunique AND i.indexprs IS NULL AND i.indpred IS NULL
ORDER BY c.relname)",
                            {std::to_string(table.oid)});
    std::vector<UniqueIndex> out;
    for (int row = 0; row < result.rows(); ++row) {
        out.push_back({result.get(row, 0), nlohmann::json::parse(result.get(row, 1)).get<std::vector<std::string>>(),
                       result.get_bool(row, 2)});
    }
    return out;
}

std::optional<std::size_t> copy_index(const catalog::Relation& table, const std::string& column) {
    auto it = std::find(table.copy_columns.begin(), table.copy_columns.end(), column);
    if (it == table.copy_columns.end()) return std::nullopt;
    return static_cast<std::size_t>(it - table.copy_columns.begin());
}

// Checks one (column, transformer) of a rule against the table.
std::optional<ColumnMask> column_mask(pg::Connection& conn, const Rule& rule, const catalog::Relation& table,
                                      const std::string& column, const std::string& spec,
                                      const std::map<std::string, ColumnFacts>& facts,
                                      std::vector<std::string>& skipped) {
    Transformer transformer = [&] {
        try {
            return Transformer::parse(spec);
        } catch (const Error& e) {
            throw usage_error(fmt::format("{}: column {}: {}", rule.origin, column, e.what()), e.hint());
        }
    }();
    auto fact = facts.find(column);
    auto index = copy_index(table, column);
    std::string name = fmt::format("{}.{}", table.display(), column);
    if (fact == facts.end()) {
        if (rule.optional) {
            skipped.push_back(name + ": no such column in prod");
            return std::nullopt;
        }
        throw usage_error(fmt::format("{}: masking rule names column {}, which prod does not have", rule.origin, name),
                          "Rename the column in the rule too (names are case-sensitive, as in quoted SQL): a rule "
                          "that matches nothing would let the column through unmasked.");
    }
    if (!index) {
        throw usage_error(fmt::format("{}: masking rule names column {}, a generated column", rule.origin, name),
                          "A generated column is computed from the others in the sandbox: mask those.");
    }
    if (transformer.generates_text() && !fact->second.is_string) {
        throw usage_error(
            fmt::format("{}: masking transformer {} cannot fill column {} of type {}", rule.origin, transformer.spec(),
                        name, table.copy_column_types[*index]),
            "A made-up text needs a text, varchar or char column; use null, fixed:VALUE or keep for other types.");
    }
    if (transformer.kind() == Kind::null && fact->second.not_null) {
        throw usage_error(
            fmt::format("{}: masking transformer null on column {}, which is NOT NULL", rule.origin, name),
            "Use fixed:VALUE, or a transformer that makes up a value.");
    }
    std::size_t max_chars = fact->second.max_chars;
    if (transformer.kind() == Kind::fixed) {
        auto value = transformer.spec().substr(std::string_view("fixed:").size());
        if (max_chars && utf8_characters(value) > max_chars) {
            throw usage_error(fmt::format("{}: masking value {} is longer than column {} allows ({} characters)",
                                          rule.origin, transformer.spec(), name, max_chars));
        }
        // The column's type reads it now (a domain's CHECK too), not the load.
        try {
            conn.exec("SELECT CAST($1 AS " + table.copy_column_types[*index] + ")", {value});
        } catch (const pg::PgError& e) {
            if (interrupt::requested()) throw;
            throw usage_error(fmt::format("{}: masking value {} does not fit column {} of type {}: {}", rule.origin,
                                          transformer.spec(), name, table.copy_column_types[*index],
                                          e.server().primary));
        }
    }
    if (!transformer.generates_text()) max_chars = 0;
    return ColumnMask{*index, column, std::move(transformer), max_chars};
}

void add_rule(pg::Connection& conn, TableMask& mask, const Rule& rule, const std::map<std::string, ColumnFacts>& facts,
              std::vector<std::string>& skipped) {
    const auto& table = *mask.table;
    mask.origins.push_back(rule.origin);
    for (const auto& named : rule.columns) {
        // (Not a structured binding: clang before 16 cannot capture one.)
        const auto& column = named.first;
        const auto& spec = named.second;
        auto column_rule = column_mask(conn, rule, table, column, spec, facts, skipped);
        if (!column_rule) continue;
        auto same = std::find_if(mask.columns.begin(), mask.columns.end(),
                                 [&](const ColumnMask& m) { return m.column == column; });
        if (same != mask.columns.end()) {
            throw usage_error(fmt::format("{}: column {}.{} is masked by two rules ({} and {})", rule.origin,
                                          table.display(), column, same->transformer.spec(), spec),
                              "Keep one: which one wins must not depend on the order of the rules.");
        }
        mask.columns.push_back(std::move(*column_rule));
    }
    if (rule.except) {
        auto index = copy_index(table, rule.except->column);
        if (!index) {
            throw usage_error(fmt::format("{}: the rows a masking rule leaves ({}) are named by column {}.{}, which "
                                          "prod does not have",
                                          rule.origin, rule.except->reason, table.display(), rule.except->column));
        }
        mask.except.emplace(*index, *rule.except);
    }
}

void finish_table(TableMask& mask, pg::Connection& conn, const std::map<std::string, ColumnFacts>& facts) {
    std::sort(mask.columns.begin(), mask.columns.end(),
              [](const ColumnMask& a, const ColumnMask& b) { return a.index < b.index; });
    auto masked = [&](std::size_t index) {
        return std::any_of(mask.columns.begin(), mask.columns.end(),
                           [&](const ColumnMask& m) { return m.index == index && m.transformer.kind() != Kind::keep; });
    };
    for (const auto& [name, columns, nulls_not_distinct] : unique_indexes(conn, *mask.table)) {
        UniqueKey key{name, {}, nulls_not_distinct};
        bool touches_masked = false;
        for (const auto& column : columns) {
            auto index = copy_index(*mask.table, column);
            if (!index) break;  // a generated column: its value follows from the others
            key.indexes.push_back(*index);
            touches_masked = touches_masked || masked(*index);
        }
        if (touches_masked && key.indexes.size() == columns.size()) mask.unique_keys.push_back(std::move(key));
    }
    for (std::size_t i = 0; i < mask.table->copy_columns.size(); ++i) {
        const auto& column = mask.table->copy_columns[i];
        bool covered =
            std::any_of(mask.columns.begin(), mask.columns.end(), [&](const ColumnMask& m) { return m.index == i; });
        auto fact = facts.find(column);
        if (!covered && fact != facts.end() && fact->second.holds_text)
            mask.uncovered.push_back(fmt::format("{}.{}", mask.table->display(), column));
    }
}

// The transformer a column's values go through ("keep" when no rule masks it).
std::string transformer_of(const Policy& policy, unsigned table_oid, const std::string& column) {
    if (const auto* mask = policy.find(table_oid)) {
        for (const auto& c : mask->columns) {
            if (c.column == column) return c.transformer.spec();
        }
    }
    return "keep";
}

// A foreign key holds in the sandbox only where both of its sides go
// through the same transformer: a masked referenced column with a plain
// referencing one would fail the key's check after the whole load, and the
// server's error would quote the prod value it could not find.
void require_consistent_foreign_keys(pg::Connection& conn, const catalog::SourceCatalog& catalog,
                                     const Policy& policy) {
    std::string oids;
    for (const auto& t : policy.tables) oids += (oids.empty() ? "" : ",") + std::to_string(t.table->oid);
    auto result = conn.exec(R"(
SELECT con.conname, con.conrelid, con.confrelid,
       (SELECT pg_catalog.json_agg(a.attname ORDER BY k.n)
          FROM pg_catalog.unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
       (SELECT pg_catalog.json_agg(a.attname ORDER BY k.n)
          FROM pg_catalog.unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
FROM pg_catalog.pg_constraint con
WHERE con.contype = 'f' AND (con.conrelid = ANY ($1::pg_catalog.oid[]) OR con.confrelid = ANY ($1::pg_catalog.oid[]))
ORDER BY 1)",
                            {"{" + oids + "}"});
    for (int row = 0; row < result.rows(); ++row) {
        auto from_oid = static_cast<unsigned>(result.get_int(row, 1));
        auto to_oid = static_cast<unsigned>(result.get_int(row, 2));
        const auto* from = catalog.find(from_oid);
        const auto* to = catalog.find(to_oid);
        if (!from || !to) continue;
        auto from_columns = nlohmann::json::parse(result.get(row, 3)).get<std::vector<std::string>>();
        auto to_columns = nlohmann::json::parse(result.get(row, 4)).get<std::vector<std::string>>();
        for (std::size_t i = 0; i < from_columns.size() && i < to_columns.size(); ++i) {
            auto from_spec = transformer_of(policy, from_oid, from_columns[i]);
            auto to_spec = transformer_of(policy, to_oid, to_columns[i]);
            if (from_spec == to_spec) continue;
            throw usage_error(
                fmt::format("masking would break foreign key {} ({}.{} references {}.{}): one side is masked with {}, "
                            "the other with {}",
                            result.get(row, 0), from->display(), from_columns[i], to->display(), to_columns[i],
                            from_spec, to_spec),
                "Mask both columns with the same transformer (the same input gives the same output), or neither.");
        }
    }
}

// The rows of a table's inheritance children and of its sibling partitions
// hold the same columns: a rule for one of them that left another
// unmasked would let the same data through beside it.
void require_whole_families(pg::Connection& conn, const catalog::SourceCatalog& catalog, const Policy& policy) {
    for (const auto& mask : policy.tables) {
        auto result = conn.exec(R"(
WITH RECURSIVE up(oid) AS (
  SELECT $1::pg_catalog.oid
  UNION SELECT i.inhparent FROM pg_catalog.pg_inherits i JOIN up ON i.inhrelid = up.oid),
top AS (SELECT oid FROM up WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_inherits i WHERE i.inhrelid = up.oid)),
down(oid) AS (
  SELECT oid FROM top
  UNION SELECT i.inhrelid FROM pg_catalog.pg_inherits i JOIN down ON i.inhparent = down.oid)
SELECT d.oid FROM down d JOIN pg_catalog.pg_class c ON c.oid = d.oid
WHERE c.relkind = 'r' AND d.oid <> $1::pg_catalog.oid ORDER BY 1)",
                                {std::to_string(mask.table->oid)});
        std::vector<std::string> unmasked;
        for (int row = 0; row < result.rows(); ++row) {
            auto oid = static_cast<unsigned>(result.get_int(row, 0));
            const auto* relative = catalog.find(oid);
            if (relative && !policy.find(oid)) unmasked.push_back(relative->display());
        }
        if (unmasked.empty()) continue;
        throw usage_error(
            fmt::format("{}: masking rule for {} leaves {} unmasked: inheritance children or partitions of the same "
                        "table, whose rows hold the same columns",
                        mask.origins.front(), mask.table->display(), fmt::join(unmasked, ", ")),
            "Give each a [[masking.rule]] of its own (rows are copied table by table, partition by partition).");
    }
}

}  // namespace

std::vector<Rule> rules_of(const config::MaskingSettings& settings) {
    std::vector<Rule> rules;
    for (const auto& rule : settings.rules) rules.push_back({rule.table, rule.columns, rule.origin, false, {}});
    return rules;
}

const TableMask* Policy::find(unsigned oid) const {
    for (const auto& t : tables) {
        if (t.table->oid == oid) return &t;
    }
    return nullptr;
}

std::vector<std::string> Policy::uncovered() const {
    std::vector<std::string> out;
    for (const auto& t : tables) out.insert(out.end(), t.uncovered.begin(), t.uncovered.end());
    return out;
}

Policy resolve(pg::Connection& conn, const catalog::SourceCatalog& catalog, const std::vector<Rule>& rules,
               const config::MaskingSettings& settings) {
    Policy policy;
    policy.strict = settings.strict;
    policy.key_file = settings.key_file;
    std::map<unsigned, std::map<std::string, ColumnFacts>> facts;
    for (const auto& rule : rules) {
        const auto* table = find_table(catalog, rule, policy.skipped);
        if (!table) continue;
        auto [it, added] = facts.try_emplace(table->oid);
        if (added) {
            it->second = column_facts(conn, *table);
            policy.tables.push_back({table, {}, {}, {}, {}, {}});
        }
        auto mask = std::find_if(policy.tables.begin(), policy.tables.end(),
                                 [&](const TableMask& m) { return m.table == table; });
        add_rule(conn, *mask, rule, it->second, policy.skipped);
    }
    for (auto& mask : policy.tables) finish_table(mask, conn, facts.at(mask.table->oid));
    if (!policy.empty()) {
        require_whole_families(conn, catalog, policy);
        require_consistent_foreign_keys(conn, catalog, policy);
    }
    return policy;
}

Summary summary(const Policy& policy) {
    Summary out;
    for (const auto& t : policy.tables) {
        MaskedTable table{t.table->display(), {}, {}};
        for (const auto& c : t.columns) table.columns.emplace_back(c.column, c.transformer.spec());
        if (t.except) {
            table.except = fmt::format("{} where it is one of {} value(s) ({})", t.except->second.column,
                                       t.except->second.values.size(), t.except->second.reason);
        }
        out.tables.push_back(std::move(table));
    }
    out.uncovered = policy.uncovered();
    out.skipped = policy.skipped;
    return out;
}

void require_covered(const Policy& policy) {
    auto uncovered = policy.uncovered();
    if (!policy.strict || uncovered.empty()) return;
    std::string list;
    for (const auto& column : uncovered) list += (list.empty() ? "" : ", ") + column;
    throw Error(
        ExitCode::refused,
        fmt::format("masking is strict and {} column(s) of masked tables have no rule: {}", uncovered.size(), list),
        "Give each a transformer in its table's [[masking.rule]], or mark it \"keep\" once you know it holds "
        "nothing personal.");
}

void hold_masked_tables(pg::Connection& source, pg::Connection& fresh, const Policy& policy) {
    // Every lock first: the fresh session's snapshot, taken at its first
    // query, must come after all of them.
    for (const auto& mask : policy.tables) {
        source.exec("LOCK TABLE ONLY " + mask.table->qualified() + " IN ACCESS SHARE MODE");
    }
    for (const auto& mask : policy.tables) {
        auto now = fresh.exec(R"(
SELECT a.attname FROM pg_catalog.pg_attribute a
WHERE a.attrelid = $1::pg_catalog.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum)",
                              {std::to_string(mask.table->oid)});
        std::vector<std::string> columns;
        for (int row = 0; row < now.rows(); ++row) columns.push_back(now.get(row, 0));
        if (columns != mask.table->copy_columns) {
            throw failure(
                fmt::format("prod's table {} changed its columns after the refresh's snapshot", mask.table->display()),
                "A column renamed, added or dropped meanwhile would carry its values under another "
                "column's rule. Nothing was changed; run the refresh again.");
        }
    }
}

}  // namespace sandboxctl::masking
