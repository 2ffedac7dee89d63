#include "safety/run_lock.hpp"

#include <fmt/format.h>

#include "core/log.hpp"

namespace sandboxctl::safety {
namespace {

// The advisory lock key: pg_try_advisory_lock(int4, int4) shows up in
// pg_locks as classid/objid with objsubid 2. 0x73627863 is "sbxc".
constexpr int lock_class = 0x73627863;
constexpr int lock_object = 1;

struct Holder {
    int pid = 0;
    std::string user;
    std::string application;
    std::string since;
};

Holder find_holder(pg::Connection& conn, const std::string& database) {
    auto result = conn.exec(fmt::format(R"(
SELECT l.pid, coalesce(a.usename, ''), coalesce(a.application_name, ''),
       coalesce(pg_catalog.to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ'), '')
FROM pg_catalog.pg_locks l
JOIN pg_catalog.pg_database d ON d.oid = l.database
LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.classid = {} AND l.objid = {} AND l.objsubid = 2
  AND d.datname = $1)",
                                        lock_class, lock_object),
                            {database});
    if (result.rows() == 0) return {};
    return {static_cast<int>(result.get_int(0, 0)), result.get(0, 1), result.get(0, 2), result.get(0, 3)};
}

[[noreturn]] void refuse_busy(const std::string& database, const Holder& holder) {
    std::string who = fmt::format("backend pid {}", holder.pid);
    if (!holder.application.empty()) who += fmt::format(", {}", holder.application);
    if (!holder.user.empty()) who += fmt::format(" as \"{}\"", holder.user);
    if (!holder.since.empty()) who += fmt::format(", connected since {}", holder.since);
    throw Error(ExitCode::refused,
                fmt::format("another sandboxctl run is using sandbox database \"{}\" ({})", database, who),
                "Wait for it to finish. Two runs at once would undo each other's work. If that session is "
                "stuck, a superuser can end it with pg_terminate_backend(" +
                    std::to_string(holder.pid) + ").");
}

}  // namespace

RunLock::RunLock(pg::Connection& target, std::string_view operation) : target_(target) {
    bool acquired = target_.query_value(
                        fmt::format("SELECT pg_catalog.pg_try_advisory_lock({}, {})", lock_class, lock_object)) == "t";
    if (!acquired) {
        Holder holder = find_holder(target_, target_.database());
        refuse_busy(target_.database(), holder);
    }
    log::detail("{}: holding the run lock of database \"{}\"", operation, target_.database());
}

RunLock::~RunLock() {
    // Best effort: closing the connection releases the lock anyway.
    if (PQstatus(target_.raw()) != CONNECTION_OK || PQtransactionStatus(target_.raw()) != PQTRANS_IDLE) return;
    try {
        target_.exec(fmt::format("SELECT pg_catalog.pg_advisory_unlock({}, {})", lock_class, lock_object));
    } catch (const std::exception&) {}
}

void require_run_lock(pg::Connection& target, std::string_view what) {
    if (find_holder(target, target.database()).pid == target.backend_pid()) return;
    throw failure(fmt::format("{} released sandboxctl's run lock on database \"{}\"", what, target.database()),
                  "Nothing was committed. User SQL must not call pg_advisory_unlock_all() or pg_advisory_unlock(): "
                  "the lock keeps a second run out of the sandbox.");
}

int run_lock_holder(pg::Connection& conn, const std::string& database) { return find_holder(conn, database).pid; }

void explain_unreachable_sandbox(const pg::ConnInfo& target, const std::string& maintenance_db) {
    auto database = target.get("dbname");
    if (!database || *database == maintenance_db) return;
    try {
        pg::Connection conn = pg::Connection::open(target.with_database(maintenance_db), "lock-check");
        Holder holder = find_holder(conn, *database);
        if (holder.pid != 0) refuse_busy(*database, holder);
        auto limit = conn.exec("SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = $1", {*database});
        if (limit.rows() == 1 && limit.get(0, 0) == "0") {
            throw Error(ExitCode::refused,
                        fmt::format("sandbox database \"{}\" refuses connections (CONNECTION LIMIT 0) and no "
                                    "sandboxctl run holds it: an earlier run was killed before it could restore "
                                    "the limit",
                                    *database),
                        "Run `sandboxctl unlock` to restore the limit that run recorded.");
        }
    } catch (const Error& e) {
        if (e.code() == ExitCode::refused) throw;
        log::detail("could not look at the sandbox from database \"{}\": {}", maintenance_db, e.what());
    }
}

}  // namespace sandboxctl::safety
