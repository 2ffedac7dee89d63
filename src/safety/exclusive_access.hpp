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
    bool ended = false;  // false: not ours to end (it may block the refresh's locks)
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
    // Restores now (also done by the destructor); throws on failure.
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
    bool from_record = false;  // the limit came from the crash record
};

// Restores the connection limit of `database` after a crash. `conn` may be
// connected to any database of the server (the owner cannot connect to a
// database whose limit is 0). `limit` overrides the recorded value.
UnlockOutcome unlock(pg::Connection& conn, const std::string& database, const std::filesystem::path& state_dir,
                     std::optional<int> limit);

}  // namespace sandboxctl::safety
