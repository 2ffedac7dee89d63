#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "report/report.hpp"
#include "refresh/refresh.hpp"
#include "refresh/session_setup.hpp"
#include "snapshot/operations.hpp"

namespace sandboxctl::cli {

void add_refresh_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("refresh", "Replace the sandbox's content with the source's, atomically");
    command->footer(R"(
What it does, in order:
  1. opens a read-only session on the source and exports its snapshot;
  2. runs the safety preflight (see `sandboxctl doctor`) and refuses on a failure (exit 3);
  3. dumps the source schema at that snapshot (pg_dump), leaving out objects the source role
     does not own and relations matching --exclude, which are never locked or read;
  4. runs the before hook, blocks new sandbox connections and ends the other sessions;
  5. in ONE sandbox transaction: drops what the target role (and the login) owns, restores the
     schema as the target role, streams every table with COPY at the snapshot, sets sequences,
     restores indexes, constraints and triggers, runs the post-refresh SQL, and commits;
  6. restores the connection limit, runs the after hook, prints the report.
Any failure or interrupt before the commit leaves the sandbox exactly as it was.

Example:
  sandboxctl refresh --source "host=db dbname=erp user=erp_dump" \
                     --target "host=db dbname=erp-sandbox user=sandbox_login" --json report.json)");
    add_source_options(*command, context);
    add_target_options(*command, context);
    add_selection_options(*command, context);
    add_target_role_option(*command, context);
    command->add_option("--post-sql", context.overrides.post_sql,
                        "SQL file run in the sandbox inside the refresh transaction; repeatable")
        ->type_name("FILE");
    add_timeout_options(*command, context);
    command->add_option("--pg-bin", context.overrides.pg_bin, "Directory of pg_dump and pg_restore (default: PATH)")
        ->type_name("DIR");
    command->add_option("--snapshot", context.snapshot_name,
                        "After the refresh, (re)create this golden snapshot for `sandboxctl reset`")
        ->type_name("NAME");
    command->add_flag("--with-files", context.overrides.with_files,
                      "Also sync the [[files.pair]] trees of the config, while the sandbox app is still stopped");
    add_snapshot_dir_option(*command, context);
    add_json_option(*command, context);
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            auto report = refresh::run_refresh(settings);
            // The snapshot is the run's last phase: timed with the others, and
            // the report (the refresh did commit) printed even if it fails.
            auto print_report = [&] {
                // With --json -, stdout carries only the JSON document.
                if (log::level() >= log::Level::normal) {
                    report::print_text(report, context.json_path == "-" ? std::cerr : std::cout);
                }
                if (!context.json_path.empty()) report::write_json_file(report::to_json(report), context.json_path);
            };
            if (!context.snapshot_name.empty()) {
                try {
                    report::PhaseTimer timer(report.phases, "snapshot");
                    auto target = refresh::open_target(settings, "snapshot");
                    auto m = snapshot::create_snapshot(target, settings, context.snapshot_name, true);
                    report.snapshot = report::SnapshotSummary{m.name, static_cast<long long>(m.tables.size()),
                                                              m.total_rows(), static_cast<long long>(m.sequences.size()),
                                                              m.total_compressed_bytes()};
                } catch (...) {
                    print_report();
                    rethrow_with_context("the sandbox was refreshed, but creating snapshot \"" +
                                         context.snapshot_name + "\" failed");
                }
            }
            print_report();
            return ExitCode::ok;
        };
    });
}

}  // namespace sandboxctl::cli
