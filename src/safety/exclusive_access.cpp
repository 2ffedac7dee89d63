#include "safety/exclusive_access.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
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
    return std::stoi(
        conn.query_value("SELECT datconnlimit FROM pg_catalog.pg_database WHERE datname = $1", {database}));
}

void set_limit(pg::Connection& conn, const std::string& database, int limit) {
    conn.exec(fmt::format("ALTER DATABASE {} CONNECTION LIMIT {}", conn.quote_identifier(database), limit));
}

void write_record(const std::filesystem::path& path, const std::string& database, int limit) {
    std::filesystem::create_directories(path.parent_path());
    nlohmann::json record = {{"database", database}, {"previous_connection_limit", limit}};
    write_file_atomically(path, record.dump(2) + "\n", "lock record");
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
  AND pid <> ALL ($1::int[]) AND backend_type = 'client backend')",
                            {spared_list});
    std::vector<EndedSession> sessions;
    for (int row = 0; row < result.rows(); ++row) {
        EndedSession s{static_cast<int>(result.get_int(row, 0)), result.get(row, 1), result.get(row, 2), false};
        if (result.get_bool(row, 3)) {
            s.ended = conn.query_value("SELECT pg_catalog.pg_terminate_backend($1::int)", {std::to_string(s.pid)}) == "t";
        }
        if (s.ended) log::detail("ended session {} of {} ({})", s.pid, s.user, s.application);
        else log::warning("could not end session {} of role \"{}\" ({}); it may hold locks the refresh needs", s.pid, s.user, s.application);
        sessions.push_back(std::move(s));
    }
    return sessions;
}

}  // namespace

ExclusiveAccess::ExclusiveAccess(pg::Connection& control, const std::filesystem::path& state_dir,
                                 const std::vector<int>& spared)
    : control_(control), record_(record_path(control, control.database(), state_dir)), database_(control.database()) {
    previous_limit_ = current_limit(control_, database_);
    // A record left by a crashed run holds the real previous limit: keep it.
    if (previous_limit_ == 0 && std::filesystem::exists(record_)) {
        std::ifstream in(record_);
        previous_limit_ = nlohmann::json::parse(in).at("previous_connection_limit").get<int>();
    } else {
        write_record(record_, database_, previous_limit_);
    }
    set_limit(control_, database_, 0);
    held_ = true;
    log::detail("blocked new connections to database \"{}\" (previous limit {})", database_, previous_limit_);
    sessions_ = end_other_sessions(control_, spared);
}

void ExclusiveAccess::release() {
    if (!held_) return;
    set_limit(control_, database_, previous_limit_);
    held_ = false;
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
    if (limit) {
        outcome.restored_limit = *limit;
    } else if (std::filesystem::exists(record)) {
        std::ifstream in(record);
        outcome.restored_limit = nlohmann::json::parse(in).at("previous_connection_limit").get<int>();
        outcome.from_record = true;
    } else {
        int current = current_limit(target, database);
        outcome.restored_limit = current == 0 ? -1 : current;
    }
    set_limit(target, outcome.database, outcome.restored_limit);
    std::error_code ignored;
    std::filesystem::remove(record, ignored);
    return outcome;
}

}  // namespace sandboxctl::safety
