#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>

#include "cli/commands.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "output/json_file.hpp"
#include "plan/session_setup.hpp"
#include "snapshot/operations.hpp"

namespace sandboxctl::cli {
namespace {

nlohmann::json reset_json(const snapshot::ResetResult& r) {
    return {{"snapshot", r.snapshot},
            {"mode", r.full ? "full" : "delta"},
            {"why_full", r.why_full},
            {"tables", r.full ? r.tables_loaded : r.delta.tables},
            {"tables_reloaded", r.delta.reloaded},
            {"rows_deleted", r.delta.deleted},
            {"rows_inserted", r.full ? r.rows_loaded : r.delta.inserted},
            {"rows_updated", r.delta.updated},
            {"sequences_set", r.sequences_set},
            {"seconds", std::chrono::duration<double>(r.elapsed).count()}};
}

}  // namespace

void add_reset_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("reset", "Return the sandbox to a golden snapshot (delta by default)");
    command->footer(R"(
Delta reset (default): only the rows that the change log names are put back, from the golden
cache inside the sandbox database; sequences are set exactly. Full reset (--full, or
automatically when the schema drifted from the snapshot, the log counts from another
snapshot, or the change tracking or golden cache was altered since the last reset): the
sandbox is rebuilt from the snapshot's files. Tables with many logged changes are reloaded
whole from the cache; the counts are rows actually deleted, inserted and updated. Both run in one transaction with
exclusive access, as refresh does; user triggers do not fire.)");
    command->add_option("NAME", context.reset_name, "Snapshot (default: the one the sandbox was last reset to)");
    command->add_flag("--full", context.full, "Rebuild everything from the snapshot files");
    add_sandbox_options(*command, context);
    add_timeout_options(*command, context);
    add_json_option(*command, context);
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            auto target = plan::open_target(settings, "reset");
            auto r = snapshot::reset_sandbox(target, settings, context.reset_name, context.full);
            auto& out = context.json_path == "-" ? std::cerr : std::cout;
            if (log::level() < log::Level::normal) {
                // -q: errors only
            } else if (r.full) {
                fmt::print(out, "full reset to \"{}\" ({}): {} tables, {} rows loaded, {} sequences, in {}\n",
                           r.snapshot, r.why_full, r.tables_loaded, r.rows_loaded, r.sequences_set,
                           format_duration(r.elapsed));
            } else {
                std::string reloaded = r.delta.reloaded ? fmt::format(" ({} reloaded whole)", r.delta.reloaded) : "";
                fmt::print(out, "delta reset to \"{}\": {} tables{}, {} rows deleted, {} inserted, {} updated, in {}\n",
                           r.snapshot, r.delta.tables, reloaded, r.delta.deleted, r.delta.inserted, r.delta.updated,
                           format_duration(r.elapsed));
            }
            if (!context.json_path.empty()) output::write_json_file(reset_json(r), context.json_path);
            return ExitCode::ok;
        };
    });
}

}  // namespace sandboxctl::cli
