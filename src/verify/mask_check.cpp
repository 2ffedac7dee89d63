#include "verify/mask_check.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cstring>
#include <unordered_set>

#include "core/error.hpp"
#include "masking/key_file.hpp"
#include "masking/keyed_hash.hpp"
#include "masking/row_masker.hpp"
#include "masking/transformer.hpp"
#include "pg/copy_stream.hpp"
#include "pg/copy_text.hpp"
#include "plan/session_setup.hpp"

namespace sandboxctl::verify {
namespace {

// The family of the check's own hashes: not any transformer's, so a check
// hash can never be mistaken for a masked value.
constexpr std::string_view check_family = "mask-check";

struct DigestHash {
    std::size_t operator()(const masking::Digest& d) const {
        std::size_t v = 0;
        std::memcpy(&v, d.data(), sizeof v);
        return v;
    }
};
using DigestSet = std::unordered_set<masking::Digest, DigestHash>;

// Calls `each` with every non-empty value of the column, leaving out the
// rows the rule leaves unmasked (a profile's kept users: the sandbox's own).
template <typename Each>
void for_each_value(pg::Connection& conn, const masking::TableMask& mask, const masking::ColumnMask& column,
                    Each&& each) {
    std::string columns = pg::quote_ident(column.column);
    if (mask.except) columns += ", " + pg::quote_ident(mask.except->second.column);
    auto sql = fmt::format("COPY (SELECT {} FROM ONLY {} WHERE {} IS NOT NULL) TO STDOUT", columns,
                           mask.table->qualified(), pg::quote_ident(column.column));
    pg::copy_out(conn, sql, [&](std::string_view row) {
        if (!row.empty() && row.back() == '\n') row.remove_suffix(1);
        auto tab = mask.except ? row.find('\t') : std::string_view::npos;
        if (tab != std::string_view::npos) {
            auto who = pg::decode_copy_text_field(row.substr(tab + 1));
            if (who && mask.except->second.values.contains(*who)) return;
            row = row.substr(0, tab);
        }
        auto value = pg::decode_copy_text_field(row);
        if (value && !value->empty()) each(*value);
    });
}

bool column_exists(pg::Connection& conn, const masking::TableMask& mask, const std::string& column) {
    return conn.query_value(R"(
SELECT count(*) FROM pg_catalog.pg_attribute
WHERE attrelid = pg_catalog.to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT attisdropped)",
                            {mask.table->qualified(), column}) == "1";
}

// The text a value is compared by: an e-mail whatever its case and blanks
// (as the email transformer reads it), any other value as it is.
std::string comparable(const masking::ColumnMask& column, const std::string& value) {
    return column.transformer.kind() == masking::Kind::email ? masking::normalized_email(value) : value;
}

// A sandbox value is a prod value that leaked when prod holds it and the
// rule does not give it for any prod value: a masked name that happens to
// be a real customer's name ("Emma Martin" in both) is the rule's output,
// not a leak, and two random phone numbers may coincide.
ColumnCheck check_column(pg::Connection& source, pg::Connection& target, const masking::TableMask& mask,
                         const masking::ColumnMask& column, const masking::KeyedHash& hash) {
    ColumnCheck check{fmt::format("{}.{}", mask.table->display(), column.column), column.transformer.spec()};
    auto digest = [&](const std::string& v) { return hash.digest(check_family, comparable(column, v)); };
    try {
        DigestSet prod, outputs;
        for_each_value(source, mask, column, [&](const std::string& v) {
            prod.insert(digest(v));
            auto masked = masking::RowMasker::mask_value(column, v, hash);
            if (masked && !masked->empty()) outputs.insert(digest(*masked));
        });
        check.prod_values = static_cast<long long>(prod.size());
        bool except_there = !mask.except || column_exists(target, mask, mask.except->second.column);
        if (!column_exists(target, mask, column.column) || !except_there) {
            check.missing = true;
            return check;
        }
        for_each_value(target, mask, column, [&](const std::string& v) {
            auto d = digest(v);
            check.found += prod.contains(d) && !outputs.contains(d);
        });
    } catch (...) {
        rethrow_with_context("could not check column " + check.column);
    }
    return check;
}

// The sandbox is the agent's: its table must be the plain table the
// refresh made (not a view in its place), and no row-level security may
// hide a row from the check (row_security off makes a policy an error).
void require_plain_table(pg::Connection& target, const masking::TableMask& mask) {
    auto kind =
        target.exec("SELECT c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = pg_catalog.to_regclass($1)",
                    {mask.table->qualified()});
    if (kind.rows() == 1 && kind.get(0, 0) != "r") {
        throw Error(ExitCode::refused,
                    fmt::format("{} in the sandbox is not a table: it cannot be checked", mask.table->display()),
                    "Something replaced the table the refresh made (a view of the same name, say): refresh the "
                    "sandbox, then check again.");
    }
}

}  // namespace

bool MaskCheckResult::leaked() const {
    return std::any_of(columns.begin(), columns.end(), [](const ColumnCheck& c) { return c.found > 0; });
}

MaskCheckResult run_mask_check(const config::Settings& settings, const std::vector<masking::Rule>& masking_rules) {
    plan::Endpoints endpoints = plan::open_endpoints(settings, "mask-check");
    auto& source = endpoints.source->conn();
    auto& target = endpoints.target;
    target.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    target.exec("SET LOCAL row_security = off");
    auto policy = masking::resolve(source, endpoints.catalog, masking_rules, settings.masking);
    if (policy.empty()) {
        throw usage_error("nothing to check: no masking rule applies to prod's tables",
                          "Add [[masking.rule]] tables to the configuration, or set masking = \"personal\" in an "
                          "application's section (see docs/manual.md#masking-personal-data).");
    }
    masking::KeyedHash hash(masking::read_key(policy.key_file, masking::KeyUse::must_exist));
    MaskCheckResult result;
    for (const auto& mask : policy.tables) {
        require_plain_table(target, mask);
        for (const auto& column : mask.columns) {
            if (column.transformer.kind() == masking::Kind::keep) continue;
            result.columns.push_back(check_column(source, target, mask, column, hash));
        }
    }
    result.uncovered = policy.uncovered();
    result.skipped = policy.skipped;
    target.exec("COMMIT");
    return result;
}

void print_text(const MaskCheckResult& result, std::ostream& out) {
    for (const auto& c : result.columns) {
        if (c.missing) {
            fmt::print(out, "  {:<50} {:<12} not in the sandbox\n", c.column, c.transformer);
        } else if (c.found) {
            fmt::print(out, "  {:<50} {:<12} FOUND: {} sandbox row(s) hold one of prod's {} value(s)\n", c.column,
                       c.transformer, c.found, c.prod_values);
        } else {
            fmt::print(out, "  {:<50} {:<12} none of prod's {} value(s) in the sandbox\n", c.column, c.transformer,
                       c.prod_values);
        }
    }
    for (const auto& column : result.uncovered) fmt::print(out, "  uncovered: {} (no rule names it)\n", column);
    for (const auto& line : result.skipped) fmt::print(out, "  not masked, absent: {}\n", line);
    if (result.leaked()) {
        fmt::print(out, "prod values found in the sandbox\n");
    } else {
        fmt::print(out, "no prod value of a masked column is in the sandbox ({} column(s) checked)\n",
                   result.columns.size());
    }
}

nlohmann::json to_json(const MaskCheckResult& result) {
    nlohmann::json doc = {{"columns", nlohmann::json::array()},
                          {"uncovered", result.uncovered},
                          {"skipped", result.skipped},
                          {"leaked", result.leaked()}};
    for (const auto& c : result.columns) {
        doc["columns"].push_back({{"column", c.column},
                                  {"transformer", c.transformer},
                                  {"prod_values", c.prod_values},
                                  {"found", c.found},
                                  {"missing", c.missing}});
    }
    return doc;
}

}  // namespace sandboxctl::verify
