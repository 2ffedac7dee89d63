#pragma once
// Exclusive access to the sandbox database for the destructive part of a run:
// new connections are blocked (CONNECTION LIMIT 0, which the database owner may
// set) and the other sessions the target login may end are terminated. The
// previous limit is recorded in a state file before it is changed, restored on
// every exit path the process survives, and `sandboxctl unlock` restores it
// after a crash.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace sandboxctl::safety {

struct EndedSession {
    int pid = 0;
    std::string user;
    std::string application;
    bool ended = false;  // false: not ours to end, or still there 5 s later (it may block the refresh's locks)
};

class ExclusiveAccess {
public:
    // `control` is a dedicated target connection kept open for the restore:
    // once the limit is 0 a non-superuser could not connect again. Sessions
    // in `spared` (the run's own connection) are not ended.
    ExclusiveAccess(pg::Connection& control, const std::filesystem::path& state_dir, const std::vector<int>& spared);
    ~ExclusiveAccess();
    ExclusiveAccess(const ExclusiveAccess&) = delete;
    ExclusiveAccess& operator=(const ExclusiveAccess&) = delete;

    const std::vector<EndedSession>& sessions() const { return sessions_; }
    int previous_limit() const { return previous_limit_; }
    // Every other session of the database was ended and seen gone (the
    // server can wait for that from PostgreSQL 14 on).
    bool alone() const;
    // Restores now (also done by the destructor); throws on failure, once:
    // the record then stays for `unlock`.
    void release();

private:
    pg::Connection& control_;
    std::filesystem::path record_;
    std::string database_;
    int previous_limit_ = -1;
    bool held_ = false;
    std::vector<EndedSession> sessions_;
};

struct UnlockOutcome {
    std::string database;
    int restored_limit = -1;
    bool from_record = false;      // the limit came from the crash record
    bool changed = true;           // false: no record and the database was not blocked; nothing was set
    std::filesystem::path record;  // where the record was looked for
};

// Inside a catch block: rethrows the current exception, and for a lock
// timeout (SQLSTATE 55P03) adds the sessions that held the locks.
[[noreturn]] void rethrow_naming_lock_holders(pg::Connection& control, const std::vector<int>& ours);

// Restores the connection limit of `database` after a crash. `conn` may be
// connected to any database of the server (the owner cannot connect to a
// database whose limit is 0). `limit` overrides the recorded value. Without
// a record, a database that is not blocked is left alone, and a blocked one
// gets -1 (no limit), which the outcome says.
UnlockOutcome unlock(pg::Connection& conn, const std::string& database, const std::filesystem::path& state_dir,
                     std::optional<int> limit);

// What refresh and reset repair before anything else, when the sandbox
// refuses their connection: a killed run left its CONNECTION LIMIT at 0. If
// no run holds the sandbox and a lock record exists under `state_dir`, the
// recorded limit is restored from `maintenance_db` (as `unlock` would) and
// the outcome returned; otherwise (a run holds the sandbox, no record)
// nothing is changed and nothing returned.
std::optional<UnlockOutcome> repair_crashed_limit(const pg::ConnInfo& target, const std::string& maintenance_db,
                                                  const std::filesystem::path& state_dir);

}  // namespace sandboxctl::safety
