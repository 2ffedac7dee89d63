#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "pg/connection.hpp"
#include "safety/exclusive_access.hpp"

namespace sandboxctl::cli {
namespace {

// A database whose limit is 0 refuses its non-superuser owner, so the repair
// may have to be made from another database of the same server.
pg::Connection connect_for_unlock(const pg::ConnInfo& target, const std::string& maintenance_db) {
    try {
        return pg::Connection::open(target, "unlock");
    } catch (const Error& e) {
        log::detail("{}", e.what());
        return pg::Connection::open(target.with_database(maintenance_db), "unlock");
    }
}

}  // namespace

void add_unlock_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("unlock", "Restore the sandbox's connection limit after a crashed run");
    command->footer(R"(
refresh blocks new sandbox connections (CONNECTION LIMIT 0) and restores the previous limit on
every exit it survives. After a SIGKILL or a lost connection, unlock restores the limit recorded
in the state directory (or --connection-limit N). If the owner cannot connect to the sandbox
database itself, unlock connects to --maintenance-db on the same server.)");
    add_target_options(*command, context);
    command->add_option("--connection-limit", context.connection_limit,
                        "Set this limit instead of the recorded one (-1: none)");
    command->add_option("--maintenance-db", context.maintenance_db,
                        "Database to connect to when the sandbox refuses connections (default postgres)");
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            auto target = pg::ConnInfo::parse(
                config::require(settings.target, "target", "--target", "SANDBOXCTL_TARGET"), "target");
            auto conn = connect_for_unlock(target, context.maintenance_db);
            std::string database = target.get("dbname").value_or(conn.user());
            auto outcome = safety::unlock(conn, database, settings.state_dir, context.connection_limit);
            fmt::print("database \"{}\": connection limit set to {}{}\n", outcome.database, outcome.restored_limit,
                       outcome.from_record ? " (recorded before the crash)" : "");
            return ExitCode::ok;
        };
    });
}

}  // namespace sandboxctl::cli
