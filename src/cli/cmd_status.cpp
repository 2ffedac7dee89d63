#include <fmt/format.h>
#include <fmt/ostream.h>

#include <fstream>
#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "plan/session_setup.hpp"
#include "safety/state_path.hpp"
#include "snapshot/drift.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/store.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::cli {

namespace {

// What `status` reads from the sandbox, in one read-only transaction.
struct SandboxChanges {
    std::optional<snapshot::Baseline> baseline;
    bool schema_changed = false;
    std::vector<snapshot::DirtyTable> dirty;
    std::optional<std::vector<snapshot::SequenceChange>> sequences;  // unknown without the snapshot's manifest
};

SandboxChanges read_changes(plan::Target& target, const snapshot::Store& store) {
    SandboxChanges changes;
    target.conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    changes.baseline = snapshot::read_baseline(target.conn);
    if (changes.baseline) {
        changes.dirty = snapshot::dirty_tables(target.conn);
        changes.schema_changed = snapshot::schema_drifted(target.conn, *changes.baseline);
        if (!changes.schema_changed && store.exists(changes.baseline->snapshot)) {
            try {
                auto manifest = snapshot::load_manifest(store.path_of(changes.baseline->snapshot));
                changes.sequences = snapshot::changed_sequences(target.conn, manifest);
            } catch (const Error& e) {
                log::detail("sequences not compared: {}", e.what());
            }
        }
    }
    target.conn.exec("COMMIT");
    return changes;
}

void print_last_refresh(std::ostream& out, plan::Target& target, const config::Settings& settings,
                        nlohmann::json& doc) {
    auto history = safety::database_state_file(target.conn, target.conn.database(), settings.state_dir,
                                               safety::refresh_record_kind);
    std::ifstream in(history);
    if (!in) {
        fmt::print(out, "last refresh: none recorded in {}\n", settings.state_dir.string());
        doc["last_refresh"] = nullptr;
        return;
    }
    try {
        auto last = nlohmann::json::parse(in);
        const auto& totals = last.at("totals");
        fmt::print(out, "last refresh: {} from {}: {} tables, {} rows, {:.1f} s\n", last.value("finished_at", "?"),
                   last.value("source", "?"), totals.at("tables").get<long long>(), totals.at("rows").get<long long>(),
                   totals.at("seconds").get<double>());
        doc["last_refresh"] = {{"finished_at", last["finished_at"]}, {"source", last["source"]}, {"totals", totals}};
    } catch (const nlohmann::json::exception& e) {
        throw failure(fmt::format("could not read the refresh history \"{}\": {}", history.string(), e.what()),
                      "The file is written by refresh; remove it, and the next refresh writes it anew.");
    }
}

// Baseline, schema, tables written and sequences moved since; nothing of the
// kind without a baseline (there is no log to count from).
void print_changes(std::ostream& out, const SandboxChanges& changes, const snapshot::Store& store,
                   nlohmann::json& doc) {
    doc["dirty"] = nullptr;
    doc["sequences_changed"] = nullptr;
    if (!changes.baseline) {
        fmt::print(out, "baseline: none (no snapshot created or reset since the last refresh)\n");
        doc["baseline"] = nullptr;
        return;
    }
    const auto& b = *changes.baseline;
    bool in_store = store.exists(b.snapshot);
    fmt::print(
        out, "baseline: snapshot \"{}\" since {}{}\n", b.snapshot, b.since,
        in_store ? "" : fmt::format(" (missing from the store {}: pass reset a snapshot name)", store.root().string()));
    doc["baseline"] = {{"snapshot", b.snapshot},
                       {"since", b.since},
                       {"in_store", in_store},
                       {"schema_changed", changes.schema_changed}};
    fmt::print(
        out, "schema: {}\n",
        changes.schema_changed ? "changed since the baseline (the next reset is a full one)" : "as at the baseline");
    doc["dirty"] = nlohmann::json::array();
    fmt::print(out, "tables written since the baseline: {}\n", changes.dirty.size());
    for (const auto& d : changes.dirty) {
        fmt::print(out, "  {:<50} {}\n", d.name, d.whole ? "whole table" : fmt::format("{} row keys", d.keys));
        doc["dirty"].push_back({{"table", d.name}, {"whole", d.whole}, {"keys", d.keys}});
    }
    if (!changes.sequences) {
        fmt::print(out, "sequences changed since the baseline: unknown ({})\n",
                   changes.schema_changed ? "the schema changed" : "the snapshot cannot be read");
        return;
    }
    doc["sequences_changed"] = nlohmann::json::array();
    fmt::print(out, "sequences changed since the baseline: {}\n", changes.sequences->size());
    for (const auto& s : *changes.sequences) {
        auto shown = [](const std::string& v) { return v.empty() ? std::string("not called") : v; };
        fmt::print(out, "  {:<50} {} -> {}\n", s.name, shown(s.snapshot), shown(s.current));
        doc["sequences_changed"].push_back({{"sequence", s.name}, {"snapshot", s.snapshot}, {"current", s.current}});
    }
}

void print_snapshots(std::ostream& out, const snapshot::Store& store, nlohmann::json& doc) {
    auto listed = store.list_manifests();
    doc["snapshots"] = nlohmann::json::array();
    doc["damaged_snapshots"] = nlohmann::json::array();
    fmt::print(out, "snapshots in {}: {}\n", store.root().string(), listed.empty() ? "none" : "");
    for (const auto& [name, m, problem] : listed) {
        if (m) {
            fmt::print(out, "  {:<24} {}  {} tables, {} rows\n", name, m->created_at, m->tables.size(),
                       m->total_rows());
            doc["snapshots"].push_back(name);
        } else {
            fmt::print(out, "  {:<24} damaged: {}\n", name, problem);
            doc["damaged_snapshots"].push_back({{"name", name}, {"problem", problem}});
        }
    }
}

struct StatusOptions {
    config::Overrides settings;
    std::string json_path;
};

ExitCode run_status(const Context& context, StatusOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto target = plan::open_target(settings, "status");
    snapshot::Store store(settings.snapshot_dir);
    auto changes = read_changes(target, store);

    nlohmann::json doc = {{"database", target.conn.database()}};
    auto& out = output.text();
    fmt::print(out, "sandbox: {}\n", target.info.describe());
    print_last_refresh(out, target, settings, doc);
    print_changes(out, changes, store, doc);
    print_snapshots(out, store, doc);
    output.write_json(doc);
    return ExitCode::ok;
}

}  // namespace

void register_status(Command& app, Context& context) {
    auto options = std::make_shared<StatusOptions>();
    auto command = app.subcommand("status", "Baseline snapshot, snapshots in the store, changes since the baseline");
    add_sandbox_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_status);
}

}  // namespace sandboxctl::cli
