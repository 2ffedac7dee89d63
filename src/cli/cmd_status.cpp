#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "refresh/session_setup.hpp"
#include "safety/state_path.hpp"
#include "report/report.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/store.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::cli {

void add_status_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("status", "Baseline snapshot, snapshots in the store, tables written since");
    add_sandbox_options(*command, context);
    add_json_option(*command, context);
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            auto target = refresh::open_target(settings, "status");
            target.conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
            auto baseline = snapshot::read_baseline(target.conn);
            std::vector<snapshot::DirtyTable> dirty;
            if (baseline) dirty = snapshot::dirty_tables(target.conn);
            target.conn.exec("COMMIT");
            snapshot::Store store(settings.snapshot_dir);
            auto names = store.list();

            nlohmann::json doc = {{"database", target.conn.database()}, {"snapshots", names}};
            auto& out = context.json_path == "-" ? std::cerr : std::cout;
            fmt::print(out, "sandbox: {}\n", target.info.describe());
            auto history = safety::database_state_file(target.conn, target.conn.database(), settings.state_dir, "refreshes");
            if (std::ifstream in(history); in) {
                auto last = nlohmann::json::parse(in);
                fmt::print(out, "last refresh: {} from {}: {} tables, {} rows, {:.1f} s\n",
                           last.value("finished_at", "?"), last.value("source", "?"), last["totals"]["tables"].get<long long>(),
                           last["totals"]["rows"].get<long long>(), last["totals"]["seconds"].get<double>());
                doc["last_refresh"] = {{"finished_at", last["finished_at"]}, {"source", last["source"]},
                                       {"totals", last["totals"]}};
            } else {
                fmt::print(out, "last refresh: none recorded in {}\n", settings.state_dir.string());
                doc["last_refresh"] = nullptr;
            }
            if (baseline) {
                fmt::print(out, "baseline: snapshot \"{}\" since {}\n", baseline->snapshot, baseline->since);
                doc["baseline"] = {{"snapshot", baseline->snapshot}, {"since", baseline->since}};
            } else {
                fmt::print(out, "baseline: none (no snapshot created or reset since the last refresh)\n");
                doc["baseline"] = nullptr;
            }
            doc["dirty"] = nlohmann::json::array();
            fmt::print(out, "tables written since the baseline: {}\n", dirty.size());
            for (const auto& d : dirty) {
                fmt::print(out, "  {:<50} {}\n", d.name, d.whole ? "whole table" : fmt::format("{} row keys", d.keys));
                doc["dirty"].push_back({{"table", d.name}, {"whole", d.whole}, {"keys", d.keys}});
            }
            fmt::print(out, "snapshots in {}: {}\n", store.root().string(), names.empty() ? "none" : "");
            for (const auto& name : names) {
                auto m = snapshot::load_manifest(store.path_of(name));
                fmt::print(out, "  {:<24} {}  {} tables, {} rows\n", name, m.created_at, m.tables.size(), m.total_rows());
            }
            if (!context.json_path.empty()) report::write_json_file(doc, context.json_path);
            return ExitCode::ok;
        };
    });
}

}  // namespace sandboxctl::cli
