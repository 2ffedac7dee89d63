#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "provision/apply.hpp"
#include "provision/psql_script.hpp"

namespace sandboxctl::cli {
namespace {

struct ProvisionOptions {
    config::Overrides settings;
    std::optional<int> sandboxes;
    bool login_per_sandbox = false;
    bool apply = false;
    std::optional<std::string> admin;
};

constexpr const char* password_advice =
    "No password was set. Set each login's as an administrator with psql's \\password ROLE (it sends a hash), "
    "then give it to sandboxctl the libpq way (.pgpass, PGPASSFILE).";

// --apply runs everything on the --admin server: prod and the sandbox must
// be named on one server (the same host and port keywords).
void require_one_server(const std::string& source, const std::string& target) {
    auto from = pg::ConnInfo::parse(source, "source");
    auto to = pg::ConnInfo::parse(target, "target");
    for (const char* keyword : {"host", "hostaddr", "port"}) {
        if (from.get(keyword) != to.get(keyword)) {
            throw usage_error(fmt::format("--apply runs on one server, and the source and the target name different "
                                          "ones (their {} differ)",
                                          keyword),
                              "Print the SQL instead and run each part on its own server.");
        }
    }
}

ExitCode run_provision(const Context& context, ProvisionOptions& options) {
    if (options.admin && !options.apply)
        throw usage_error("--admin is only read with --apply",
                          "Add --apply to run the SQL, or drop --admin to print it.");
    if (options.apply && !options.admin) {
        throw usage_error("--apply needs --admin CONNINFO",
                          "Give the connection string of a superuser of the server that holds prod and the sandbox.");
    }
    auto settings = resolve_settings(context, options.settings);
    auto names = provision::names_from(settings, options.sandboxes.value_or(0), options.login_per_sandbox);
    auto steps = provision::plan_steps(names);
    auto targets = provision::pool_targets(names, *settings.target);
    if (!options.apply) {
        std::cout << provision::psql_script(steps, targets);
        return ExitCode::ok;
    }
    require_one_server(*settings.source, *settings.target);
    auto admin = pg::ConnInfo::parse(*options.admin, "admin");
    provision::apply_steps(steps, admin, names.prod_database, [](const provision::Applied& applied) {
        if (log::level() < log::Level::normal) return;
        fmt::print("{}: {}\n", applied.object, applied.created ? "created" : "exists, left alone");
    });
    if (log::level() >= log::Level::normal) {
        fmt::print("provisioned: the dump login's grants in \"{}\", {} sandbox database(s)\n", names.prod_database,
                   1 + names.members.size());
        if (!targets.empty()) {
            fmt::print("[pool] targets:\n");
            for (const auto& target : targets) fmt::print("  {}\n", target);
        }
        fmt::print("{}\n", password_advice);
    }
    return ExitCode::ok;
}

}  // namespace

void register_provision(Command& app, Context& context) {
    auto options = std::make_shared<ProvisionOptions>();
    auto command = app.subcommand(
        "provision", "Print (or, with --apply, run) the SQL that sets up the roles and databases sandboxctl needs");
    command.footer(R"(
The names come from the configuration: prod's database and the dump login from --source
(dbname, user), the sandbox's database and login from --target, the owner role from
--target-role. The SQL creates, each only if missing (what exists is left alone, and said so):
  - the dump login: LOGIN, default_transaction_read_only = on, SELECT on the tables, materialized
    views and sequences prod's owner role (--source-role, default the database's owner) owns, USAGE
    on their schemas, and default privileges for what that role creates later; nothing else;
  - the sandbox owner role (NOLOGIN, no superuser, no CREATEDB) and its login member;
  - the sandbox database, and with --sandboxes N the pool members NAME-1 ... NAME-N; with
    --login-per-sandbox each member has its own owner role and login (OWNER_K, LOGIN_K), and
    every sandbox database refuses PUBLIC's connections, so a login reaches only its own.
No password is in the SQL: set them with psql's \password. Review the SQL, then run it as a
superuser with psql -X -f FILE, or let sandboxctl run it with --apply --admin CONNINFO.
Running it twice changes nothing. Then run "sandboxctl doctor" on each sandbox.

Example:
  sandboxctl provision --source "host=db dbname=erp user=erp_dump" \
    --target "host=db dbname=erp-sandbox user=erp_sandbox" --target-role erp_sandbox_role \
    --sandboxes 4 --login-per-sandbox > provision.sql)");
    add_source_options(command, options->settings);
    command.option("--source-role", options->settings.source_role,
                   "The role that owns prod's objects, which the dump login may read (default: the database's owner)");
    add_target_options(command, options->settings);
    add_target_role_option(command, options->settings);
    command.option("--sandboxes", options->sandboxes, "Also create N pool member databases (default 0)").type_name("N");
    command.flag("--login-per-sandbox", options->login_per_sandbox,
                 "Give each pool member its own owner role and login");
    command.flag("--apply", options->apply, "Run the SQL instead of printing it (needs --admin)");
    command.option("--admin", options->admin, "A superuser's CONNINFO, for --apply").type_name("CONNINFO");
    on_chosen(command, context, options, run_provision);
}

}  // namespace sandboxctl::cli
