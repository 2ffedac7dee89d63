#pragma once
// What `provision` sets up for sandboxctl, as steps an administrator reviews
// and runs (psql_script.hpp) or has sandboxctl run (apply.hpp): the read-only
// dump role and its grants in prod, the sandbox owner role and its login,
// the sandbox database and its pool members. Each step first asks whether
// its object exists; one that does is left alone (and said so), so applying
// the steps twice changes nothing.
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace sandboxctl::provision {

struct Member {
    std::string database;
    std::string owner_role;
    std::string login;
};

// The names the steps use, all taken from the configuration.
struct Names {
    std::string prod_database;  // the source's dbname
    std::string app_role;       // --source-role; empty: prod's database owner, looked up when applied
    std::string dump_role;      // the source's user
    Member sandbox;             // the target: its dbname, --target-role, its user
    // `--sandboxes N`: "<sandbox>-1" ... "<sandbox>-N", sharing the sandbox's
    // roles, or each with its own ("<owner>_K", "<login>_K") when
    // `login_per_sandbox`.
    std::vector<Member> members;
};

// Throws a usage error naming what is missing or unusable (a conninfo
// without dbname or user, the dump role that owns prod, a login that is its
// owner role, a name with a control character).
Names names_from(const config::Settings& settings, int sandboxes, bool login_per_sandbox);

// One object to create, with the statements that keep it as sandboxctl
// needs it (grants), run whether it existed or not: they change nothing the
// second time.
struct Step {
    std::string comment;       // why the object exists, one line
    std::string database;      // where the statements run; empty: any (cluster-wide objects)
    std::string object;        // 'role "erp_dump"', for "... exists: left alone"; empty: nothing to create
    std::string exists_query;  // one boolean; empty when `object` is
    std::string create;        // one statement
    std::vector<std::string> keep;
};

std::vector<Step> plan_steps(const Names& names);

// The [pool] targets the members make, for the configuration (no password).
std::vector<std::string> pool_targets(const Names& names, const std::string& target_conninfo);

}  // namespace sandboxctl::provision
