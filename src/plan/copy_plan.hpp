#pragma once
// Decides, from the source catalog, what a refresh copies and what it leaves
// out, with a reason for every object left out. `plan` prints this; `refresh`
// and `verify` act on it.
#include <set>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "catalog/name_pattern.hpp"
#include "schema/toc.hpp"

namespace sandboxctl::plan {

struct Exclusion {
    std::string kind;
    std::string name;
    std::string owner;
    std::string reason;
};

struct PlanOptions {
    std::string source_role;
    std::vector<catalog::NamePattern> exclude;
    std::vector<catalog::NamePattern> exclude_data;
    // Patterns given as "optional:PATTERN": matching nothing is not a mistake.
    std::set<std::string> optional_patterns;
};

// An --exclude or --exclude-data pattern that matches no relation of the
// source database: most likely a typo (public.llx_usr for llx_user).
struct UnmatchedPattern {
    std::string option;
    std::string pattern;
    bool optional = false;
};

struct CopyPlan {
    std::string source_role;
    std::vector<const catalog::Relation*> relations;  // schema copied
    std::vector<const catalog::Relation*> data;       // rows copied
    std::vector<const catalog::Relation*> sequences;  // values copied
    // Populated materialized views, in an order where each comes after the
    // materialized views it reads (pg_dump --schema-only leaves them empty).
    std::vector<const catalog::Relation*> matviews;
    std::vector<Exclusion> excluded;           // left out entirely
    std::vector<Exclusion> data_excluded;      // schema copied, rows not
    std::vector<std::string> dump_exclusions;  // pg_dump --exclude-table=... options
    std::set<unsigned> excluded_oids;
    long long data_bytes = 0;

    // Tables whose rows the source session cannot all see (row-level
    // security applies to it): copying them would silently lose rows.
    std::vector<const catalog::Relation*> row_security_blocked;

    std::vector<UnmatchedPattern> unmatched_patterns;
    // Foreign keys of copied tables into tables whose rows are left out
    // (--exclude-data): the source decides whether rows would dangle.
    std::vector<const catalog::ForeignKey*> keys_into_data_excluded;
};

// The prefix that marks a pattern whose matching nothing is expected.
inline constexpr std::string_view optional_pattern_prefix = "optional:";

CopyPlan make_plan(const catalog::SourceCatalog& catalog, const PlanOptions& options);

// Marks the archive entries to restore: those the source role owns, minus
// foreign keys into excluded tables. Entries left out get their reason and
// are added to the plan's exclusions when they are not already listed.
void filter_toc(std::vector<schema::TocEntry>& entries, const catalog::SourceCatalog& catalog, CopyPlan& plan);

}  // namespace sandboxctl::plan
