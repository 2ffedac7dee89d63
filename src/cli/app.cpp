#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/secrets.hpp"
#include "core/temp_dir.hpp"
#include "pg/conninfo.hpp"
#include "profiles/registry.hpp"

namespace sandboxctl::cli {
namespace {

constexpr const char* program_description =
    "sandboxctl keeps a sandbox copy of a production PostgreSQL database fresh, safe and resettable.\n"
    "The source is only ever read (read-only sessions at one snapshot); the sandbox is changed in one\n"
    "transaction, so a failed or interrupted run leaves it as it was.";

constexpr const char* program_footer = R"(
Connections (CONNINFO) are libpq strings or URIs: "host=db dbname=erp user=dump" or
postgresql://dump@db/erp. Passwords come the libpq way (.pgpass, PGPASSFILE, PGPASSWORD,
service files) or inside CONNINFO; they are never printed nor put on a command line.
A setting is taken from the command line, else the environment (SANDBOXCTL_SOURCE,
SANDBOXCTL_TARGET, SANDBOXCTL_SNAPSHOT_DIR), else the TOML file (-c FILE or SANDBOXCTL_CONFIG),
else the default; --exclude, --exclude-data and --post-sql add to the file's lists.

Exit codes:
  0  success
  1  the operation failed (the sandbox is unchanged)
  2  usage or configuration error
  3  refused by a safety check, or another run holds the sandbox
  4  verify found differences
  5  the sandbox was refreshed or reset (committed), but a step after the commit failed: the file
     sync, the snapshot, the JSON report, restoring the connection limit, restarting the stopped
     workloads or the `after` hook; the message says which, and how to finish it)";

void print_error(const Error& e) {
    std::string message = secrets::redact(e.what());
    std::cerr << "sandboxctl: error: " << message << '\n';
    if (!e.hint().empty()) std::cerr << "HINT: " << secrets::redact(e.hint()) << '\n';
}

// sandboxctl keeps passwords off its children's command lines, but one typed
// into its own is readable by every local user (ps, /proc/PID/cmdline) before
// sandboxctl starts. It cannot undo that; it can say so.
void warn_about_command_line_passwords(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        for (std::string_view option : {"--source", "--target", "--admin"}) {
            std::string_view value;
            if (arg == option && i + 1 < argc)
                value = argv[i + 1];
            else if (arg.starts_with(option) && arg.size() > option.size() && arg[option.size()] == '=')
                value = arg.substr(option.size() + 1);
            if (!value.empty() && pg::ConnInfo::has_password(value)) {
                log::warning("the {} connection string on the command line holds a password, which other local "
                             "users can read in the process list; put it in {} instead",
                             option,
                             option == "--source"   ? "SANDBOXCTL_SOURCE, the config file or a passfile"
                             : option == "--target" ? "SANDBOXCTL_TARGET, the config file or a passfile"
                                                    : "a passfile (PGPASSFILE)");
            }
        }
    }
}

}  // namespace

config::Settings resolve_settings(const Context& context, const config::Overrides& overrides) {
    config::Overrides merged = overrides;
    merged.config_file = context.global.config_file;
    auto settings = config::resolve(merged);
    // Every command checks the application profiles' sections, whether it
    // uses them or not: a misspelt section is an error everywhere.
    profiles::configured(settings);
    return settings;
}

void add_source_options(Command& command, config::Overrides& overrides) {
    command.option("--source", overrides.source, "Source (production) database CONNINFO");
}

void add_target_options(Command& command, config::Overrides& overrides) {
    command.option("--target", overrides.target, "Target (sandbox) database CONNINFO");
}

void add_target_role_option(Command& command, config::Overrides& overrides) {
    command.option("--target-role", overrides.target_role,
                   "Role that owns the sandbox objects (default: owner of the target database)");
}

void add_selection_options(Command& command, config::Overrides& overrides) {
    command.option("--source-role", overrides.source_role,
                   "Copy what this role owns (default: owner of the source database)");
    command
        .option("--exclude", overrides.exclude,
                "Leave out relations matching PATTERN (SCHEMA.NAME, * and ? wildcards); repeatable")
        .type_name("PATTERN");
    command
        .option("--exclude-data", overrides.exclude_data,
                "Copy the schema but not the rows of tables matching PATTERN; repeatable")
        .type_name("PATTERN");
}

void add_copy_options(Command& command, config::Overrides& overrides) {
    add_source_options(command, overrides);
    add_target_options(command, overrides);
    add_selection_options(command, overrides);
    add_target_role_option(command, overrides);
}

void add_snapshot_dir_option(Command& command, config::Overrides& overrides) {
    command
        .option("--snapshot-dir", overrides.snapshot_dir,
                "Snapshot store (default: $XDG_STATE_HOME/sandboxctl/snapshots)")
        .type_name("DIR");
}

void add_sandbox_options(Command& command, config::Overrides& overrides) {
    add_target_options(command, overrides);
    add_target_role_option(command, overrides);
    add_snapshot_dir_option(command, overrides);
}

void add_timeout_options(Command& command, config::Overrides& overrides) {
    command
        .option("--lock-timeout", overrides.lock_timeout,
                "Give up if a sandbox lock is not granted in time (default 30s)")
        .type_name("DURATION");
    command
        .option("--statement-timeout", overrides.statement_timeout,
                "Give up on any one statement that runs longer (default 0: none, as pg_dump and pg_restore)")
        .type_name("DURATION");
}

void add_pg_bin_option(Command& command, config::Overrides& overrides) {
    command.option("--pg-bin", overrides.pg_bin, "Directory of pg_dump and pg_restore (default: PATH)")
        .type_name("DIR");
}

void add_json_option(Command& command, std::string& json_path) {
    command
        .option("--json", json_path,
                "Also write the report as JSON to FILE ('-': JSON on stdout, the text report on stderr)")
        .type_name("FILE");
}

int run(int argc, char** argv) {
    Parser parser(program_description, program_footer, SANDBOXCTL_VERSION);
    auto app = parser.root();
    Context context;
    auto& global = context.global;
    app.option("-c,--config", global.config_file, "TOML configuration file");
    auto verbose = app.flag("-v,--verbose", global.verbose, "Show each step and the SQL sent (never a secret)");
    app.flag("-q,--quiet", global.quiet, "Print only errors").excludes(verbose);

    register_refresh(app, context);
    register_plan(app, context);
    register_doctor(app, context);
    register_verify(app, context);
    register_mask_check(app, context);
    register_unlock(app, context);
    register_snapshot(app, context);
    register_reset(app, context);
    register_status(app, context);
    register_sync_files(app, context);
    register_app_check(app, context);
    register_provision(app, context);
    register_pool(app, context);
    register_lease(app, context);

    interrupt::install_handlers();
    if (auto ended = parser.parse(argc, argv)) return *ended == 0 ? 0 : static_cast<int>(ExitCode::usage);
    log::set_level(global.verbose ? log::Level::verbose : global.quiet ? log::Level::quiet : log::Level::normal);
    warn_about_command_line_passwords(argc, argv);
    try {
        remove_temp_dirs_of_dead_runs();
        return static_cast<int>(context.action());
    } catch (const Error& e) {
        print_error(e);
        return static_cast<int>(e.code());
    } catch (const std::exception& e) {
        print_error(failure(e.what()));
        return static_cast<int>(ExitCode::failed);
    }
}

}  // namespace sandboxctl::cli
