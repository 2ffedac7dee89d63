#pragma once
// One sandboxctl run at a time per sandbox database. A run that changes the
// sandbox (refresh, reset, snapshot create) first takes a session-level
// advisory lock on its own target connection; a second run refuses at once
// and names the holder. The server drops the lock with the session, so a
// killed run can never leave it behind.
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::safety {

// Where to look from when the sandbox database itself refuses connections.
inline constexpr const char* default_maintenance_db = "postgres";

class RunLock {
public:
    // Throws Error(refused) when another run holds the sandbox.
    RunLock(pg::Connection& target, std::string_view operation);
    ~RunLock();
    RunLock(const RunLock&) = delete;
    RunLock& operator=(const RunLock&) = delete;

private:
    pg::Connection& target_;
};

// Throws a failure unless the session of `target` still holds the run lock:
// user SQL run in it (`what`: a keep rule's where, post-refresh SQL) could
// have released it with pg_advisory_unlock_all(), letting a second run in.
void require_run_lock(pg::Connection& target, std::string_view what);

// The backend pid holding the run lock of `database`, or 0. `conn` may be
// connected to any database of the server (pg_locks covers them all).
int run_lock_holder(pg::Connection& conn, const std::string& database);

// A connection to the sandbox failed with `error`. While a run holds the
// sandbox (CONNECTION LIMIT 0) that is expected: this looks from
// `maintenance_db` and throws a refusal that says which run holds it, or that
// a killed run left the limit at 0. Returns when it cannot tell.
void explain_unreachable_sandbox(const pg::ConnInfo& target, const std::string& maintenance_db);

}  // namespace sandboxctl::safety
