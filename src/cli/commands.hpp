#pragma once
// One file per command; each registers its subcommand with its own options
// struct (register_<command>) and, when chosen, sets the action run after the
// global options are applied. Errors are thrown, and printed in one place
// (cli/app.cpp).
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/command_line.hpp"
#include "config/settings.hpp"
#include "core/error.hpp"

namespace sandboxctl::cli {

// The options of the whole program, given before the subcommand.
struct GlobalOptions {
    std::optional<std::string> config_file;  // -c; $SANDBOXCTL_CONFIG is read by config::resolve
    bool verbose = false;
    bool quiet = false;
};

struct Context {
    GlobalOptions global;
    // Set by the chosen subcommand during parsing, run after the global
    // options (log level) are applied. Returns the exit code.
    std::function<ExitCode()> action;
};

// The settings a command runs with: its command-line overrides over the
// environment, the config file and the defaults (see config/settings.hpp).
config::Settings resolve_settings(const Context& context, const config::Overrides& overrides);

// A command's options live as long as the app, which writes into them while
// parsing: the command's callback owns them.
// `run` is called as run(context, options) and returns the exit code.
template <typename Options, typename Run>
void on_chosen(Command& command, Context& context, std::shared_ptr<Options> options, Run run) {
    command.on_chosen(
        [&context, options, run] { context.action = [&context, options, run] { return run(context, *options); }; });
}

// Options shared by several commands; they write into the command's overrides.
void add_source_options(Command& command, config::Overrides& overrides);
void add_target_options(Command& command, config::Overrides& overrides);
// --target-role, for commands that act on the sandbox as its owner role.
void add_target_role_option(Command& command, config::Overrides& overrides);
void add_selection_options(Command& command, config::Overrides& overrides);
// --source, --target, the selection and --target-role: the commands that copy
// prod into the sandbox or compare the two.
void add_copy_options(Command& command, config::Overrides& overrides);
// --lock-timeout and --statement-timeout: commands that change the sandbox.
void add_timeout_options(Command& command, config::Overrides& overrides);
void add_pg_bin_option(Command& command, config::Overrides& overrides);
void add_snapshot_dir_option(Command& command, config::Overrides& overrides);
// --target, --target-role and --snapshot-dir: commands that work on the sandbox's snapshots.
void add_sandbox_options(Command& command, config::Overrides& overrides);
// --json FILE, for the commands that write a report (see cli/report_output.hpp).
void add_json_option(Command& command, std::string& json_path);

void register_refresh(Command& app, Context& context);
void register_plan(Command& app, Context& context);
void register_doctor(Command& app, Context& context);
void register_verify(Command& app, Context& context);
void register_mask_check(Command& app, Context& context);
void register_unlock(Command& app, Context& context);
void register_snapshot(Command& app, Context& context);
void register_reset(Command& app, Context& context);
void register_status(Command& app, Context& context);
void register_sync_files(Command& app, Context& context);
void register_app_check(Command& app, Context& context);
void register_provision(Command& app, Context& context);
void register_pool(Command& app, Context& context);
// `lease` and `release`.
void register_lease(Command& app, Context& context);

// Runs the command line; returns the process exit code.
int run(int argc, char** argv);

}  // namespace sandboxctl::cli
