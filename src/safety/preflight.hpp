#pragma once
// The safety preflight: every check that must pass before the sandbox is
// touched. `doctor` prints them; `refresh` runs them and refuses (exit 3) when
// any fails.
#include <filesystem>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "pg/connection.hpp"
#include "schema/pg_tools.hpp"

namespace sandboxctl::safety {

enum class Status { pass, warn, fail };

struct Check {
    std::string name;
    Status status = Status::pass;
    std::string reason;
};

struct PreflightInput {
    pg::Connection& source;  // inside the read-only snapshot transaction
    pg::Connection& target;
    const pg::ConnInfo& target_info;
    const catalog::SourceCatalog& catalog;
    const std::string& source_role;
    const std::string& target_role;
    const schema::PgTools& tools;
    const std::string& init_database;        // refresh --init=NAME, or empty (see sandbox_mark.hpp)
    const std::filesystem::path& state_dir;  // where the record of the last refresh is (a lost mark)
};

std::vector<Check> run_preflight(const PreflightInput& input);

// Objects of other roles in the sandbox: FAIL where named like what the
// refresh creates, WARN otherwise (shared with `plan --target`).
Check check_foreign_objects(pg::Connection& target, const catalog::SourceCatalog& catalog,
                            const std::string& source_role, const std::string& target_role);

// The PostgreSQL major versions sandboxctl supports (docs/manual.md#supported-postgresql-versions):
// 14 brought what it relies on (client_connection_check_interval, the
// pg_database_owner role, pg_attribute.attcompression); CI tests 15, 17 and 18.
inline constexpr int oldest_supported_major = 14;
inline constexpr int oldest_tested_major = 15;
inline constexpr int newest_supported_major = 18;

// The verdict on the source's and the sandbox's server major versions: FAIL
// below the supported range, WARN above it, for an untested version, or
// for a sandbox older than the source; PASS otherwise.
Check judge_server_versions(int source_major, int target_major);

// The lock-budget verdict for `needed` locks against `budget` nominal slots:
// PASS up to 1.5x (spare shared memory takes the excess), WARN to 2x, FAIL beyond.
Check judge_lock_budget(long long needed, long long budget);
// The slots of the server's shared lock table (max_locks_per_transaction
// times the processes that may hold locks); it grows about 1.5 times that
// into spare shared memory before "out of shared memory".
long long lock_table_slots(pg::Connection& conn);
// The objects of the database's own schemas that hold a lock each when a
// transaction drops or creates them: relations, types, functions,
// constraints, defaults, triggers, rules, policies.
long long lockable_objects(pg::Connection& conn);

// Throws a refusal (exit 3) listing the failed checks, if any.
void require_passed(const std::vector<Check>& checks);

const char* status_label(Status status);

// Verifies that a source session cannot write: `SHOW transaction_read_only`
// must say "on". Throws a refusal otherwise. Called before any read.
void require_read_only(pg::Connection& source);

}  // namespace sandboxctl::safety
