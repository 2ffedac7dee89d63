#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "plan/session_setup.hpp"
#include "reset/reset.hpp"

namespace sandboxctl::cli {
namespace {

nlohmann::json reset_json(const reset::ResetResult& r) {
    nlohmann::json doc = {{"snapshot", r.snapshot},
                          {"mode", r.full ? "full" : "delta"},
                          {"why_full", r.why_full},
                          {"tables", r.full ? r.tables_loaded : r.delta.tables},
                          {"tables_reloaded", r.delta.reloaded},
                          {"rows_deleted", r.delta.deleted},
                          {"rows_inserted", r.full ? r.rows_loaded : r.delta.inserted},
                          {"rows_updated", r.delta.updated},
                          {"sequences_set", r.sequences_set},
                          {"kept", rebuild::kept_json(r.kept)},
                          {"seconds", std::chrono::duration<double>(r.elapsed).count()}};
    profiles::add_outcomes(r.profiles, doc);
    doc["incomplete"] = output::follow_up_json(r.follow_up_failures);
    return doc;
}

void print_text(const reset::ResetResult& r, std::ostream& out) {
    if (r.full) {
        fmt::print(out, "full reset to \"{}\" ({}): {} tables, {} rows loaded, {} sequences, in {}\n", r.snapshot,
                   r.why_full, r.tables_loaded, r.rows_loaded, r.sequences_set, format_duration(r.elapsed));
        for (const auto& k : r.kept) {
            fmt::print(out, "  kept {} rows of {} (where {}), {} snapshot rows replaced\n", k.rows, k.table, k.where,
                       k.replaced);
            if (!k.skipped.empty()) fmt::print(out, "    nothing kept: {}\n", k.skipped);
        }
    } else {
        std::string reloaded = r.delta.reloaded ? fmt::format(" ({} reloaded whole)", r.delta.reloaded) : "";
        fmt::print(out, "delta reset to \"{}\": {} tables{}, {} rows deleted, {} inserted, {} updated, in {}\n",
                   r.snapshot, r.delta.tables, reloaded, r.delta.deleted, r.delta.inserted, r.delta.updated,
                   format_duration(r.elapsed));
    }
    profiles::print_outcomes(r.profiles, out);
}

struct ResetOptions {
    config::Overrides settings;
    std::string json_path;
    std::optional<std::string> snapshot_name;
    bool full = false;
};

ExitCode run_reset(const Context& context, ResetOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto target = plan::open_target(settings, "reset", plan::AfterCrash::repair);
    auto r = reset::reset_sandbox(target, settings, options.snapshot_name, options.full);
    if (log::level() >= log::Level::normal) print_text(r, output.text());  // -q: errors only
    try {
        output.write_json(reset_json(r));
    } catch (const std::exception& e) {
        r.follow_up_failures.push_back({"report", fmt::format("writing the JSON report failed: {}", e.what()),
                                        "The reset was committed; the text report above is complete."});
    }
    output::throw_if_incomplete(r.follow_up_failures, fmt::format("the sandbox was reset to \"{}\"", r.snapshot));
    return ExitCode::ok;
}

}  // namespace

void register_reset(Command& app, Context& context) {
    auto options = std::make_shared<ResetOptions>();
    auto command = app.subcommand("reset", "Return the sandbox to a golden snapshot (delta by default)");
    command.footer(R"(
Delta reset (default): only the rows that the change log names are put back, from the golden
cache inside the sandbox database; sequences are set exactly. Full reset (--full, or
automatically when the schema drifted from the snapshot, the log counts from another
snapshot, or the change tracking or golden cache was altered since the last reset): the
sandbox is rebuilt from the snapshot's files. Tables with many logged changes are reloaded
whole from the cache; the counts are rows actually deleted, inserted and updated. Both run in one transaction with
exclusive access, as refresh does; user triggers do not fire. A full reset also stops the
application first (the [hooks] before hook, the [kubernetes] workloads) and starts it again
after, as refresh does; a delta reset ends the application's sessions and stops nothing.)");
    command.option("NAME", options->snapshot_name, "Snapshot (default: the one the sandbox was last reset to)");
    command.flag("--full", options->full, "Rebuild everything from the snapshot files");
    add_sandbox_options(command, options->settings);
    add_timeout_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_reset);
}

}  // namespace sandboxctl::cli
