#include "verify/verify.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <set>

#include "core/own_schemas.hpp"
#include "masking/key_file.hpp"
#include "plan/session_setup.hpp"
#include "verify/masked_table_hash.hpp"

namespace sandboxctl::verify {
namespace {

bool exists(pg::Connection& conn, const catalog::Relation& table) {
    return conn.query_value("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {table.qualified()}) == "t";
}

std::optional<TableHash> hash_if_exists(pg::Connection& conn, const catalog::Relation& table) {
    if (!exists(conn, table)) return std::nullopt;
    return hash_table(conn, table.qualified());
}

std::string sequence_state(pg::Connection& conn, const catalog::Relation& sequence) {
    bool exists = conn.query_value("SELECT pg_catalog.to_regclass($1) IS NOT NULL", {sequence.qualified()}) == "t";
    if (!exists) return "missing";
    auto r = conn.exec("SELECT last_value, is_called FROM " + sequence.qualified());
    return r.get(0, 0) + "/" + (r.get_bool(0, 1) ? "called" : "not called");
}

// Relations in the sandbox that the source does not have, whoever owns them
// (a table the login or another member made is a difference too), except
// sandboxctl's own tracking and cache schemas.
std::vector<std::string> tables_only_in_target(pg::Connection& target, const std::string& target_role,
                                               const plan::CopyPlan& plan) {
    std::set<std::string> expected;
    for (const auto* r : plan.relations) expected.insert(r->display());
    auto result = target.exec(
        R"(
SELECT n.nspname || '.' || c.relname, pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', $1, $2, $3)
  AND n.nspname NOT LIKE 'pg\_temp\_%' AND n.nspname NOT LIKE 'pg\_toast\_temp\_%'
ORDER BY 1)",
        {std::string(own_schemas::tracking), std::string(own_schemas::cache), std::string(own_schemas::pool)});
    std::vector<std::string> extra;
    for (int row = 0; row < result.rows(); ++row) {
        if (expected.contains(result.get(row, 0))) continue;
        std::string owner = result.get(row, 1);
        extra.push_back(owner == target_role ? result.get(row, 0)
                                             : fmt::format("{} (owner {})", result.get(row, 0), owner));
    }
    return extra;
}

}  // namespace

VerifyResult run_verify(const config::Settings& settings, const std::vector<masking::Rule>& masking_rules) {
    plan::Endpoints endpoints = plan::open_endpoints(settings, "verify");
    auto& source = endpoints.source->conn();
    auto& target = endpoints.target;
    target.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    plan::CopyPlan plan = plan::make_plan_for(endpoints.catalog, endpoints.source_role, settings);
    plan::require_full_visibility(plan);
    auto policy = masking::resolve(source, endpoints.catalog, masking_rules, settings.masking);
    std::optional<masking::KeyedHash> key;
    if (!policy.empty()) key.emplace(masking::read_key(policy.key_file, masking::KeyUse::must_exist));

    VerifyResult result;
    for (const auto* table : plan.data) {
        const auto* mask = policy.find(table->oid);
        TableResult t{table->display(), {}, {}};
        if (mask) {
            t.source = hash_masked_table(source, *table, mask, &*key);
            if (exists(target, *table)) t.target = hash_masked_table(target, *table, nullptr, nullptr);
            result.masked.push_back(t.name);
        } else {
            t.source = hash_table(source, table->qualified());
            t.target = hash_if_exists(target, *table);
        }
        if (!t.target) {
            result.differences.push_back(fmt::format("table {}: missing in the sandbox", t.name));
        } else if (t.source->rows != t.target->rows) {
            result.differences.push_back(fmt::format("table {}: {} rows in the source, {} in the sandbox", t.name,
                                                     t.source->rows, t.target->rows));
        } else if (t.source->digest != t.target->digest) {
            result.differences.push_back(
                fmt::format("table {}: same row count ({}), different content", t.name, t.source->rows));
        }
        result.tables.push_back(std::move(t));
    }
    for (const auto* sequence : plan.sequences) {
        SequenceResult s{sequence->display(), sequence_state(source, *sequence), sequence_state(target, *sequence)};
        if (s.source != s.target) {
            result.differences.push_back(
                fmt::format("sequence {}: {} in the source, {} in the sandbox", s.name, s.source, s.target));
        }
        result.sequences.push_back(std::move(s));
    }
    for (const auto& name : tables_only_in_target(target, endpoints.target_role, plan)) {
        result.differences.push_back(fmt::format("relation {}: only in the sandbox", name));
    }
    for (const auto& e : plan.data_excluded) result.not_compared.push_back(e.name + ": " + e.reason);
    target.exec("COMMIT");
    return result;
}

void print_text(const VerifyResult& result, std::ostream& out) {
    long long rows = 0;
    for (const auto& t : result.tables) rows += t.source ? t.source->rows : 0;
    fmt::print(out, "compared {} tables ({} source rows) and {} sequences\n", result.tables.size(), rows,
               result.sequences.size());
    for (const auto& line : result.not_compared) fmt::print(out, "  not compared: {}\n", line);
    if (!result.masked.empty()) {
        fmt::print(out, "  compared with prod's rows masked by the rules: {}\n", fmt::join(result.masked, ", "));
    }
    if (result.differences.empty()) {
        fmt::print(out, "no differences\n");
        return;
    }
    fmt::print(out, "{} difference(s):\n", result.differences.size());
    for (const auto& line : result.differences) fmt::print(out, "  {}\n", line);
}

nlohmann::json to_json(const VerifyResult& result) {
    nlohmann::json doc;
    doc["tables"] = nlohmann::json::array();
    for (const auto& t : result.tables) {
        nlohmann::json row = {{"name", t.name}, {"source_rows", t.source ? t.source->rows : 0}};
        row["target_rows"] = t.target ? nlohmann::json(t.target->rows) : nlohmann::json(nullptr);
        row["equal"] = t.target && *t.target == *t.source;
        doc["tables"].push_back(row);
    }
    doc["sequences"] = nlohmann::json::array();
    for (const auto& s : result.sequences) {
        doc["sequences"].push_back({{"name", s.name}, {"source", s.source}, {"target", s.target}});
    }
    doc["differences"] = result.differences;
    doc["not_compared"] = result.not_compared;
    doc["masked"] = result.masked;
    return doc;
}

}  // namespace sandboxctl::verify
