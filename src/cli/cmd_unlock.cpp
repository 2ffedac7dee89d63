#include <fmt/format.h>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "kubernetes/workloads.hpp"
#include "pg/connection.hpp"
#include "safety/exclusive_access.hpp"
#include "safety/run_lock.hpp"
#include "safety/state_path.hpp"

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

void print_outcome(const safety::UnlockOutcome& outcome, bool limit_given) {
    if (log::level() < log::Level::normal) return;
    if (!outcome.changed) {
        fmt::print("database \"{}\": connection limit is {}, not blocked; no crashed run is recorded in \"{}\", so "
                   "nothing was changed\n",
                   outcome.database, outcome.restored_limit, outcome.record.string());
    } else if (outcome.from_record || limit_given) {
        fmt::print("database \"{}\": connection limit set to {}{}\n", outcome.database, outcome.restored_limit,
                   outcome.from_record ? " (recorded before the crash)" : " (as given)");
    } else {
        log::warning("no record of the connection limit before the crash was found in \"{}\"", outcome.record.string());
        fmt::print("database \"{}\": connection limit set to -1 (no limit), since the previous limit is unknown; "
                   "pass --connection-limit N to set another\n",
                   outcome.database);
    }
}

struct UnlockOptions {
    config::Overrides settings;
    std::optional<int> connection_limit;
    std::string maintenance_db = safety::default_maintenance_db;
};

ExitCode run_unlock(const Context& context, UnlockOptions& options) {
    if (options.connection_limit && *options.connection_limit < -1) {
        throw usage_error(fmt::format("--connection-limit {} is not a connection limit", *options.connection_limit),
                          "Give -1 (no limit), 0 (no connections) or a positive number.");
    }
    auto settings = resolve_settings(context, options.settings);
    auto target =
        pg::ConnInfo::parse(config::require(settings.target, "target", "--target", "SANDBOXCTL_TARGET"), "target");
    auto conn = connect_for_unlock(target, options.maintenance_db);
    std::string database = target.get("dbname").value_or(conn.user());
    auto outcome = safety::unlock(conn, database, settings.state_dir, options.connection_limit);
    print_outcome(outcome, options.connection_limit.has_value());
    // The application after the database: the workloads a killed run stopped.
    auto record = safety::database_state_file(conn, database, settings.state_dir, kubernetes::record_kind);
    if (auto restored = kubernetes::restore_recorded(settings.kubernetes, record)) {
        if (log::level() >= log::Level::normal) {
            fmt::print("workloads restored: {} (recorded before the crash)\n", kubernetes::describe(*restored));
        }
    }
    return ExitCode::ok;
}

}  // namespace

void register_unlock(Command& app, Context& context) {
    auto options = std::make_shared<UnlockOptions>();
    auto command =
        app.subcommand("unlock", "Restore the sandbox's connection limit and stopped workloads after a crashed run");
    command.footer(R"(
refresh blocks new sandbox connections (CONNECTION LIMIT 0) and restores the previous limit on
every exit it survives. After a SIGKILL or a lost connection, unlock restores the limit recorded
in the state directory (or --connection-limit N), then the replicas of the [kubernetes]
workloads the run stopped, as recorded there. If the owner cannot connect to the sandbox
database itself, unlock connects to --maintenance-db on the same server. The next refresh or
reset repairs both by itself, first, when the limit was recorded.)");
    add_target_options(command, options->settings);
    command.option("--connection-limit", options->connection_limit,
                   "Set this limit instead of the recorded one (-1: none)");
    command.option("--maintenance-db", options->maintenance_db,
                   "Database to connect to when the sandbox refuses connections (default postgres)");
    on_chosen(command, context, options, run_unlock);
}

}  // namespace sandboxctl::cli
