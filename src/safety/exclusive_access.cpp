#include "safety/exclusive_access.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "safety/run_lock.hpp"
#include "safety/state_path.hpp"

namespace sandboxctl::safety {
namespace {

std::filesystem::path record_path(pg::Connection& conn, const std::string& database,
                                  const std::filesystem::path& state_dir) {
    return database_state_file(conn, database, state_dir, "locks");
}

int current_limit(pg::Connection& conn, const std::string& database) {
    return static_cast<int>(
        conn.query_integer("SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = $1", {database}));
}

void set_limit(pg::Connection& conn, const std::string& database, int limit) {
    conn.exec(fmt::format("ALTER DATABASE {} CONNECTION LIMIT {}", conn.quote_identifier(database), limit));
}

void write_record(const std::filesystem::path& path, const std::string& database, int limit) {
    std::filesystem::create_directories(path.parent_path());
    nlohmann::json record = {{"database", database}, {"previous_connection_limit", limit}};
    write_file_atomically(path, record.dump(2) + "\n", "lock record");
}

int read_record(const std::filesystem::path& path) {
    std::ifstream in(path);
    try {
        return nlohmann::json::parse(in).at("previous_connection_limit").get<int>();
    } catch (const nlohmann::json::exception& e) {
        throw failure(fmt::format("the lock record \"{}\" is damaged: {}", path.string(), e.what()),
                      "Remove it and pass the limit the database should have: "
                      "\"sandboxctl unlock --connection-limit N\".");
    }
}

std::string int_array(const std::vector<int>& values) {
    std::string out;
    for (int v : values) out += (out.empty() ? "" : ",") + std::to_string(v);
    return "{" + out + "}";
}

// PostgreSQL 14 can wait for the session to be gone: then it no longer holds
// locks, and its statistics are flushed (see snapshot/write_counts.hpp).
constexpr int terminate_can_wait = 140000;
constexpr const char* terminate_wait_ms = "5000";

bool terminate(pg::Connection& conn, int pid) {
    if (conn.server_version() < terminate_can_wait) {
        return conn.query_value("SELECT pg_catalog.pg_terminate_backend($1::int)", {std::to_string(pid)}) == "t";
    }
    return conn.query_value("SELECT pg_catalog.pg_terminate_backend($1::int, $2::bigint)",
                            {std::to_string(pid), terminate_wait_ms}) == "t";
}

std::vector<EndedSession> end_other_sessions(pg::Connection& conn, const std::vector<int>& spared) {
    std::string spared_list;
    for (int pid : spared) {
        if (!spared_list.empty()) spared_list += ',';
        spared_list += std::to_string(pid);
    }
    spared_list = "{" + spared_list + "}";
    auto result = conn.exec(R"(
SELECT pid, usename, application_name,
       pg_catalog.pg_has_role(current_user, usesysid, 'USAGE') AS ours
FROM pg_catalog.pg_stat_activity
WHERE datname = pg_catalog.current_database() AND pid <> pg_catalog.pg_backend_pid()
  AND pid <> ALL ($1::int[])
  -- Other roles' sessions show no backend_type to a non-superuser: keep them,
  -- they are exactly the ones that may not be ended and must be named.
  AND (backend_type = 'client backend' OR (backend_type IS NULL AND usesysid IS NOT NULL)))",
                            {spared_list});
    std::vector<EndedSession> sessions;
    for (int row = 0; row < result.rows(); ++row) {
        EndedSession s{static_cast<int>(result.get_int(row, 0)), result.get(row, 1), result.get(row, 2), false};
        if (result.get_bool(row, 3)) s.ended = terminate(conn, s.pid);
        if (s.ended)
            log::detail("ended session {} of {} ({})", s.pid, s.user, s.application);
        else
            log::warning("could not end session {} of role \"{}\" ({}); it may hold locks the run needs", s.pid, s.user,
                         s.application);
        sessions.push_back(std::move(s));
    }
    return sessions;
}

}  // namespace

namespace {

// The sessions, other than `ours`, holding locks in the database `control`
// is connected to (or on the database itself), one line each with pid, role,
// application, database and state: what a lock timeout waited for.
std::string describe_lock_holders(pg::Connection& control, const std::vector<int>& ours) {
    auto r = control.exec(R"(
SELECT DISTINCT a.pid, a.usename, COALESCE(NULLIF(a.application_name, ''), '-'), a.datname,
       COALESCE(a.state, 'state hidden'), COALESCE(a.xact_start::text, '')
FROM pg_catalog.pg_locks l JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.granted AND l.pid <> pg_catalog.pg_backend_pid() AND l.pid <> ALL ($1::int[])
  AND (l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())
       OR (l.classid = 'pg_catalog.pg_database'::pg_catalog.regclass
           AND l.objid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())))
ORDER BY 1)",
                          {int_array(ours)});
    std::string out;
    for (int row = 0; row < r.rows(); ++row) {
        out += fmt::format("\n  pid {} (role \"{}\", application \"{}\", database \"{}\", {}{})", r.get(row, 0),
                           r.get(row, 1), r.get(row, 2), r.get(row, 3), r.get(row, 4),
                           r.get(row, 5).empty() ? "" : ", transaction since " + r.get(row, 5));
    }
    return out;
}

}  // namespace

void rethrow_naming_lock_holders(pg::Connection& control, const std::vector<int>& ours) {
    try {
        throw;
    } catch (const pg::PgError& e) {
        if (e.sqlstate() != "55P03") throw;
        std::string holders;
        try {
            holders = describe_lock_holders(control, ours);
        } catch (const std::exception& failed) {
            log::detail("could not list the sessions holding locks: {}", failed.what());
            throw e;
        }
        if (holders.empty()) throw;
        throw pg::PgError(e.code(), std::string(e.what()) + "\nsessions holding locks in the sandbox:" + holders,
                          "End these sessions (or stop the application) and run again; sandboxctl ends only the "
                          "sessions of roles the target login is a member of.",
                          e.server());
    }
}

ExclusiveAccess::ExclusiveAccess(pg::Connection& control, const std::filesystem::path& state_dir,
                                 const std::vector<int>& spared)
    : control_(control), record_(record_path(control, control.database(), state_dir)), database_(control.database()) {
    previous_limit_ = current_limit(control_, database_);
    // A record left by a crashed run holds the real previous limit: keep it.
    if (previous_limit_ == 0 && std::filesystem::exists(record_)) {
        previous_limit_ = read_record(record_);
    } else {
        write_record(record_, database_, previous_limit_);
    }
    set_limit(control_, database_, 0);
    held_ = true;
    log::detail("blocked new connections to database \"{}\" (previous limit {})", database_, previous_limit_);
    // The destructor does not run for a constructor that throws: whatever
    // fails from here on (a cancel from Ctrl-C, a lost session) must restore
    // the limit itself.
    try {
        // New connections are blocked and no session is ended yet: the fault
        // suite interrupts the run here, and so may a Ctrl-C.
        interrupt::phase_boundary("end sessions");
        sessions_ = end_other_sessions(control_, spared);
    } catch (...) {
        try {
            release();
        } catch (const std::exception& e) {
            log::error("could not restore the connection limit of database \"{}\": {}", database_, e.what());
            log::error("HINT: run \"sandboxctl unlock --target ...\" to restore it");
        }
        throw;
    }
}

bool ExclusiveAccess::alone() const {
    return control_.server_version() >= terminate_can_wait &&
           std::ranges::all_of(sessions_, [](const EndedSession& s) { return s.ended; });
}

void ExclusiveAccess::release() {
    if (!held_) return;
    // Tried once: the caller reports a failure, and the record stays for
    // `unlock` (the control session is most likely gone).
    held_ = false;
    set_limit(control_, database_, previous_limit_);
    std::error_code ignored;
    std::filesystem::remove(record_, ignored);
    log::detail("restored connection limit {} on database \"{}\"", previous_limit_, database_);
}

ExclusiveAccess::~ExclusiveAccess() {
    try {
        release();
    } catch (const std::exception& e) {
        log::error("could not restore the connection limit of database \"{}\": {}", database_, e.what());
        log::error("HINT: run \"sandboxctl unlock --target ...\" to restore it");
    }
}

UnlockOutcome unlock(pg::Connection& target, const std::string& database, const std::filesystem::path& state_dir,
                     std::optional<int> limit) {
    if (int holder = run_lock_holder(target, database); holder != 0) {
        throw Error(ExitCode::refused,
                    fmt::format("a sandboxctl run is still using database \"{}\" (backend pid {})", database, holder),
                    "It restores the connection limit itself when it ends; unlocking now would let sessions in "
                    "mid-run.");
    }
    UnlockOutcome outcome;
    outcome.database = database;
    auto record = record_path(target, database, state_dir);
    outcome.record = record;
    if (limit) {
        outcome.restored_limit = *limit;
    } else if (std::filesystem::exists(record)) {
        outcome.restored_limit = read_record(record);
        outcome.from_record = true;
    } else {
        int current = current_limit(target, database);
        outcome.changed = current == 0;
        outcome.restored_limit = current == 0 ? -1 : current;
        if (!outcome.changed) return outcome;
    }
    set_limit(target, outcome.database, outcome.restored_limit);
    std::error_code ignored;
    std::filesystem::remove(record, ignored);
    return outcome;
}

std::optional<UnlockOutcome> repair_crashed_limit(const pg::ConnInfo& target, const std::string& maintenance_db,
                                                  const std::filesystem::path& state_dir) {
    auto database = target.get("dbname");
    if (!database || *database == maintenance_db) return std::nullopt;
    try {
        pg::Connection conn = pg::Connection::open(target.with_database(maintenance_db), "repair");
        auto limit = conn.exec("SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = $1", {*database});
        if (limit.rows() != 1 || limit.get(0, 0) != "0") return std::nullopt;
        if (!std::filesystem::exists(record_path(conn, *database, state_dir))) return std::nullopt;
        // A run that holds the sandbox is named by explain_unreachable_sandbox.
        if (run_lock_holder(conn, *database) != 0) return std::nullopt;
        return unlock(conn, *database, state_dir, std::nullopt);
    } catch (const Error& e) {
        if (e.code() == ExitCode::refused) throw;
        log::detail("could not repair the sandbox from database \"{}\": {}", maintenance_db, e.what());
        return std::nullopt;
    }
}

}  // namespace sandboxctl::safety
