#include "provision/apply.hpp"

#include <fmt/format.h>

#include <map>

#include "core/error.hpp"
#include "core/log.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::provision {
namespace {

void require_administrator(pg::Connection& admin, const std::string& prod_database) {
    auto role = admin.exec(
        "SELECT rolsuper, rolcreaterole AND rolcreatedb FROM pg_catalog.pg_roles WHERE rolname = current_user");
    if (role.rows() != 1 || (!role.get_bool(0, 0) && !role.get_bool(0, 1))) {
        throw Error(ExitCode::refused,
                    fmt::format("role \"{}\" cannot provision: it is not a superuser, nor has CREATEROLE and CREATEDB",
                                admin.user()),
                    "Give --admin the connection string of a superuser (or of a role with CREATEROLE and CREATEDB "
                    "that is a member of prod's owner role).");
    }
    if (admin.query_value("SHOW transaction_read_only") == "on") {
        throw Error(ExitCode::refused, fmt::format("the --admin session of role \"{}\" is read-only", admin.user()),
                    "Is --admin the dump login? Give an administrator's connection string.");
    }
    if (admin.query_integer("SELECT count(*) FROM pg_catalog.pg_database WHERE datname = $1", {prod_database}) == 0) {
        throw Error(ExitCode::refused,
                    fmt::format("the --admin server holds no database \"{}\" (the source's)", prod_database),
                    "provision --apply runs on the server of prod and the sandbox; with two servers, print the "
                    "script and run each part on its own server.");
    }
}

// One session per database the steps name, opened when first needed.
class Sessions {
public:
    explicit Sessions(const pg::ConnInfo& admin) : admin_(admin) {}

    pg::Connection& on(const std::string& database) {
        auto found = sessions_.find(database);
        if (found != sessions_.end()) return found->second;
        auto info = database.empty() ? admin_ : admin_.with_database(database);
        return sessions_.emplace(database, pg::Connection::open(info, "provision")).first->second;
    }

private:
    const pg::ConnInfo& admin_;
    std::map<std::string, pg::Connection> sessions_;
};

void apply_step(pg::Connection& conn, const Step& step, const std::function<void(const Applied&)>& done) {
    if (!step.object.empty()) {
        bool exists = conn.query_value(step.exists_query) == "t";
        if (!exists) {
            log::detail("{}", step.create);
            conn.exec(step.create);
        }
        done({step.object, !exists});
    }
    for (const auto& statement : step.keep) {
        log::detail("{}", statement);
        conn.exec(statement);
    }
}

}  // namespace

void apply_steps(const std::vector<Step>& steps, const pg::ConnInfo& admin, const std::string& prod_database,
                 const std::function<void(const Applied&)>& done) {
    Sessions sessions(admin);
    require_administrator(sessions.on(""), prod_database);
    for (const auto& step : steps) {
        try {
            apply_step(sessions.on(step.database), step, done);
        } catch (const Error&) {
            rethrow_with_context(step.object.empty() ? "could not provision"
                                                     : fmt::format("could not provision {}", step.object));
        }
    }
}

}  // namespace sandboxctl::provision
