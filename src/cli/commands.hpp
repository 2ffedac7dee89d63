#pragma once
// One file per command; each registers its subcommand and options on the app
// and runs through the shared context. Errors are thrown, and printed in one
// place (cli/app.cpp).
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "safety/run_lock.hpp"

namespace sandboxctl::cli {

struct Context {
    config::Overrides overrides;
    std::string json_path;
    // snapshots and reset
    std::string snapshot_name;
    std::optional<std::string> reset_name;
    bool replace = false;
    bool full = false;
    // sync-files
    std::string sync_from, sync_to, sync_owner;
    bool sync_delete = false, sync_checksum = false, dry_run = false;
    // unlock
    std::optional<int> connection_limit;
    std::string maintenance_db = safety::default_maintenance_db;
    // Set by the chosen subcommand during parsing, run after the global
    // options (log level) are applied. Returns the exit code.
    std::function<ExitCode()> action;
};

void add_source_options(CLI::App& command, Context& context);
void add_target_options(CLI::App& command, Context& context);
// --target-role, for commands that act on the sandbox as its owner role.
void add_target_role_option(CLI::App& command, Context& context);
void add_selection_options(CLI::App& command, Context& context);
void add_json_option(CLI::App& command, Context& context);
// --lock-timeout and --statement-timeout: commands that change the sandbox.
void add_timeout_options(CLI::App& command, Context& context);

void add_refresh_command(CLI::App& app, Context& context);
void add_plan_command(CLI::App& app, Context& context);
void add_doctor_command(CLI::App& app, Context& context);
void add_verify_command(CLI::App& app, Context& context);
void add_unlock_command(CLI::App& app, Context& context);
void add_snapshot_command(CLI::App& app, Context& context);
void add_reset_command(CLI::App& app, Context& context);
void add_status_command(CLI::App& app, Context& context);
void add_sync_files_command(CLI::App& app, Context& context);
void add_snapshot_dir_option(CLI::App& command, Context& context);
// --target, --target-role and --snapshot-dir: commands that work on the sandbox's snapshots.
void add_sandbox_options(CLI::App& command, Context& context);

// Runs the command line; returns the process exit code.
int run(int argc, char** argv);

}  // namespace sandboxctl::cli
