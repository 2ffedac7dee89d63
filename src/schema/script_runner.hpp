#pragma once
// Executes restore scripts (pg_restore output split into entries) inside the
// caller's transaction, and the session settings such a rebuild runs with.
#include <chrono>
#include <vector>

#include "pg/connection.hpp"
#include "schema/schema_script.hpp"

namespace sandboxctl::schema {

// Entries are sent in batches (one round trip for many small statements).
// A batch runs under a savepoint: if it fails, it is rolled back and its
// entries are run one by one, so the error names the object that failed.
void run_script(pg::Connection& target, const std::vector<ScriptEntry>& entries, const char* section);

// Settings of a rebuild transaction (refresh, full reset). Also re-applied
// after schema scripts, whose preamble changes search_path and others.
void apply_rebuild_settings(pg::Connection& target, std::chrono::milliseconds lock_timeout);

}  // namespace sandboxctl::schema
