#pragma once
// Opening the two sides of a run, shared by refresh, plan, doctor and verify:
// the read-only source session with its catalog, the target connection, and
// the roles (defaulting to each database's owner).
#include <memory>
#include <string>

#include "catalog/catalog.hpp"
#include "config/settings.hpp"
#include "pg/connection.hpp"
#include "plan/copy_plan.hpp"
#include "safety/source_session.hpp"

namespace sandboxctl::plan {

struct Source {
    pg::ConnInfo info;
    std::unique_ptr<safety::SourceSession> session;
    catalog::SourceCatalog catalog;
    std::string role;
};

struct Target {
    pg::ConnInfo info;
    pg::Connection conn;
    std::string role;
};

// Whether opening the target repairs what a killed run left (the connection
// limit its lock record holds, see safety::repair_crashed_limit) and says so:
// refresh and reset do, before anything else; the other commands explain why
// the sandbox refuses them.
enum class AfterCrash { explain, repair };

Source open_source(const config::Settings& settings, std::string_view purpose);
Target open_target(const config::Settings& settings, std::string_view purpose,
                   AfterCrash after_crash = AfterCrash::explain);

struct Endpoints {
    pg::ConnInfo source_info;
    pg::ConnInfo target_info;
    std::unique_ptr<safety::SourceSession> source;
    pg::Connection target;
    catalog::SourceCatalog catalog;
    std::string source_role;
    std::string target_role;
};

Endpoints open_endpoints(const config::Settings& settings, std::string_view purpose,
                         AfterCrash after_crash = AfterCrash::explain);

// The plan for these settings (source role, --exclude, --exclude-data).
CopyPlan make_plan_for(const catalog::SourceCatalog& catalog, const std::string& source_role,
                       const config::Settings& settings);

// Refuses (exit 3) when the plan copies no relation at all: a wrong
// --source-role or an --exclude that matches everything would otherwise
// leave an empty sandbox.
void require_something_to_copy(const CopyPlan& plan);

// The tables to copy whose rows row-level security hides from the source
// session, as "a, b"; empty when every table is fully visible. What `doctor`
// and `plan` report and refresh refuses.
std::string tables_with_hidden_rows(const CopyPlan& plan);
// Refuses (exit 3) when row-level security would hide rows of a table to copy.
void require_full_visibility(const CopyPlan& plan);

// "--exclude public.llx_usr matches no relation in the source database", one
// line per pattern not marked optional; empty when all matched.
std::vector<std::string> unmatched_pattern_problems(const CopyPlan& plan);
// Refuses (exit 2) patterns that match nothing, unless marked optional.
void require_patterns_matched(const CopyPlan& plan);

// Foreign keys of copied tables that reference a table whose rows are left
// out (--exclude-data) and that rows of the source would break: the restore
// would fail at post-data, after the whole copy. One line per key. Reads the
// source (inside its snapshot) to tell an empty referencing table from one
// whose rows point at the missing rows.
std::vector<std::string> dangling_foreign_keys(pg::Connection& source, const catalog::SourceCatalog& catalog,
                                               const CopyPlan& plan);
// Refuses (exit 3) when dangling_foreign_keys finds any.
void require_no_dangling_foreign_keys(const std::vector<std::string>& problems);

}  // namespace sandboxctl::plan
