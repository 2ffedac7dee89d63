#pragma once
// The masking policy of one run: the user's [[masking.rule]]s and the
// profiles' rules, checked against prod's catalog before anything is read
// or changed. A rule that no longer fits prod (a table or column renamed or
// gone, a transformer that cannot fill the column) is refused here, because
// a rule that silently matches nothing leaks what it was meant to hide.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.hpp"
#include "config/settings.hpp"
#include "masking/report.hpp"
#include "masking/transformer.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::masking {

// The rows a rule names by one column's value (a profile's kept users):
// that column keeps its value (the login that names the kept user), the
// others are masked as in any row; the kept user's restore then writes the
// sandbox's own row over it.
struct RowException {
    std::string column;
    std::set<std::string> values;
    std::string reason;  // for plan: "kept users"
};

struct Rule {
    std::string table;                                         // [schema.]name, as in SQL
    std::vector<std::pair<std::string, std::string>> columns;  // (column, transformer spec)
    std::string origin;                                        // "file:line:column", or the profile and its policy
    // A profile's rule covers what a version of its application has: a
    // table or column prod lacks is skipped (and listed), not refused.
    bool optional = false;
    std::optional<RowException> except;
};

// The user's [[masking.rule]]s, as rules.
std::vector<Rule> rules_of(const config::MaskingSettings& settings);

struct ColumnMask {
    std::size_t index = 0;  // into the table's copy_columns
    std::string column;
    Transformer transformer;
    std::size_t max_chars = 0;  // varchar(n)/char(n): outputs are cut to n; 0: no limit
};

// A unique index (or primary key) with a masked column: masked rows must
// stay distinct on it.
struct UniqueKey {
    std::string name;
    std::vector<std::size_t> indexes;  // into copy_columns
    bool nulls_not_distinct = false;   // PostgreSQL 15's UNIQUE NULLS NOT DISTINCT
};

struct TableMask {
    const catalog::Relation* table = nullptr;
    std::vector<ColumnMask> columns;
    std::optional<std::pair<std::size_t, RowException>> except;  // copy column index and the exception
    std::vector<UniqueKey> unique_keys;
    // Columns that can hold text (strings, json, arrays, composites, bytea,
    // xml) that no rule names: a leak risk, listed by plan and doctor.
    std::vector<std::string> uncovered;
    std::vector<std::string> origins;  // the rules that made it
};

struct Policy {
    std::vector<TableMask> tables;
    // What an optional rule names that prod lacks ("public.llx_adherent: no such table").
    std::vector<std::string> skipped;
    bool strict = false;
    std::filesystem::path key_file;

    bool empty() const { return tables.empty(); }
    const TableMask* find(unsigned oid) const;
    // "schema.table.column", every uncovered column of every masked table.
    std::vector<std::string> uncovered() const;
};

// Checks `rules` against the catalog read through `conn` (inside the run's
// snapshot, read-only). Usage errors (exit 2) name the rule's origin.
Policy resolve(pg::Connection& conn, const catalog::SourceCatalog& catalog, const std::vector<Rule>& rules,
               const config::MaskingSettings& settings);

// What the policy masks, for reports (masking/report.hpp).
Summary summary(const Policy& policy);

// Refuses (exit 3) a strict policy with uncovered columns, listing them.
void require_covered(const Policy& policy);

// Holds the masked tables (ACCESS SHARE, on the source session `source`,
// until its transaction ends) so that no column can be renamed under the
// copy, then checks through `fresh` (a session outside the run's snapshot,
// which sees the catalog as it is now) that their columns are still the
// ones the snapshot's catalog named: COPY resolves column names against the
// current catalog, and a column renamed in between would carry one column's
// values under another's rule. Throws (exit 1) when one changed.
void hold_masked_tables(pg::Connection& source, pg::Connection& fresh, const Policy& policy);

}  // namespace sandboxctl::masking
