#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/log.hpp"
#include "plan/session_setup.hpp"
#include "refresh/refresh.hpp"
#include "refresh/report.hpp"
#include "snapshot/create.hpp"
#include "sync/sync_files.hpp"

namespace sandboxctl::cli {
namespace {

// The snapshot is the refresh's last phase in the database, after the commit
// and before the application comes back: timed with the others and reported
// with the refresh, whose report is printed even when the snapshot fails.
void create_snapshot_after(plan::Target& target, const config::Settings& settings, const std::string& name,
                           refresh::RefreshReport& report) {
    try {
        output::PhaseTimer timer(report.phases, "snapshot");
        auto m = snapshot::create_snapshot(target, settings, name, true);
        report.snapshot =
            refresh::SnapshotSummary{m.name, static_cast<long long>(m.tables.size()), m.total_rows(),
                                     static_cast<long long>(m.sequences.size()), m.total_compressed_bytes()};
    } catch (const std::exception& e) {
        report.follow_up_failures.push_back(
            {"snapshot", fmt::format("creating snapshot \"{}\" failed: {}", name, e.what()),
             fmt::format("The refresh was committed. Create the snapshot with \"sandboxctl snapshot create {} "
                         "--replace\".",
                         name)});
    }
}

void write_report(refresh::RefreshReport& report, const ReportOutput& output) {
    try {
        output.write_json(refresh::to_json(report));
    } catch (const std::exception& e) {
        report.follow_up_failures.push_back({"report", fmt::format("writing the JSON report failed: {}", e.what()),
                                             "The refresh was committed; the text report above is complete."});
    }
}

struct RefreshOptions {
    config::Overrides settings;
    std::string json_path;
    std::string snapshot_name;
};

ExitCode run_refresh(const Context& context, RefreshOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    // Before any connection: a mistake in the trees must not cost a refresh.
    if (settings.with_files) sync::check_configured_pairs(settings, "refresh --with-files");
    // The snapshot is taken before the stopped workloads come back, so that
    // the application's start-up writes never become part of it.
    refresh::AfterCommit snapshot;
    if (!options.snapshot_name.empty()) {
        snapshot = [&](plan::Target& target, refresh::RefreshReport& report) {
            create_snapshot_after(target, settings, options.snapshot_name, report);
        };
    }
    auto report = refresh::run_refresh(settings, snapshot);
    if (log::level() >= log::Level::normal) refresh::print_text(report, output.text());
    write_report(report, output);
    output::throw_if_incomplete(report.follow_up_failures, "the sandbox was refreshed");
    return ExitCode::ok;
}

}  // namespace

void register_refresh(Command& app, Context& context) {
    auto options = std::make_shared<RefreshOptions>();
    auto command = app.subcommand("refresh", "Replace the sandbox's content with the source's, atomically");
    command.footer(R"(
What it does, in order:
  1. opens a read-only session on the source and exports its snapshot;
  2. runs the safety preflight (see `sandboxctl doctor`) and refuses on a failure (exit 3);
  3. dumps the source schema at that snapshot (pg_dump), leaving out objects the source role
     does not own and relations matching --exclude, which are never locked or read;
  4. runs the before hook, stops the [kubernetes] workloads (replicas recorded, scaled to 0,
     pods waited for), blocks new sandbox connections and ends the other sessions;
  5. in ONE sandbox transaction: drops what the target role (and the login) owns, restores the
     schema as the target role, streams every table with COPY at the snapshot, sets sequences,
     restores indexes, constraints and triggers, runs the post-refresh SQL, and commits;
  6. restores the connection limit and the workloads' replicas, runs the after hook, prints
     the report.
Any failure or interrupt before the commit leaves the sandbox exactly as it was.

Example:
  sandboxctl refresh --source "host=db dbname=erp user=erp_dump" \
                     --target "host=db dbname=erp-sandbox user=sandbox_login" --json report.json)");
    auto& settings = options->settings;
    add_copy_options(command, settings);
    command
        .option("--post-sql", settings.post_sql,
                "SQL file run in the sandbox inside the refresh transaction; repeatable")
        .type_name("FILE");
    add_timeout_options(command, settings);
    add_pg_bin_option(command, settings);
    command
        .option("--snapshot", options->snapshot_name,
                "After the refresh, (re)create this golden snapshot for `sandboxctl reset`")
        .type_name("NAME");
    command.flag("--with-files", settings.with_files,
                 "Also sync the [[files.pair]] trees of the config, while the sandbox app is still stopped");
    command
        .option("--init", settings.init,
                "The target DATABASE is not empty and was never refreshed by sandboxctl: replace its content "
                "anyway and mark it as a sandbox (needed once, for a sandbox that predates sandboxctl). The "
                "name must be the target's database name: --init=erp-sandbox")
        .type_name("DATABASE")
        .value_optional();
    add_snapshot_dir_option(command, settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_refresh);
}

}  // namespace sandboxctl::cli
