#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "plan/session_setup.hpp"
#include "snapshot/create.hpp"
#include "snapshot/file_check.hpp"
#include "snapshot/store.hpp"

namespace sandboxctl::cli {
namespace {

// The snapshot subcommands share the store (--snapshot-dir, given to `snapshot`).
struct SnapshotOptions {
    config::Overrides settings;
    std::string name;
    bool replace = false;
};
using Options = std::shared_ptr<SnapshotOptions>;

ExitCode run_create(const Context& context, SnapshotOptions& options) {
    auto settings = resolve_settings(context, options.settings);
    auto target = plan::open_target(settings, "snapshot");
    auto start = std::chrono::steady_clock::now();
    auto m = snapshot::create_snapshot(target, settings, options.name, options.replace);
    if (log::level() < log::Level::normal) return ExitCode::ok;
    fmt::print("snapshot \"{}\" created in {}: {} tables, {} rows, {} sequences, {} compressed\n", m.name,
               format_duration(std::chrono::steady_clock::now() - start), m.tables.size(), m.total_rows(),
               m.sequences.size(), format_bytes(static_cast<unsigned long long>(m.total_compressed_bytes())));
    return ExitCode::ok;
}

void add_create(Command& parent, Context& context, const Options& options) {
    auto command = parent.subcommand("create", "Capture the sandbox (schema and data, one snapshot) as NAME");
    command.option("NAME", options->name, "Snapshot name").required();
    command.flag("--replace", options->replace, "Replace an existing snapshot of that name");
    add_target_options(command, options->settings);
    add_target_role_option(command, options->settings);
    on_chosen(command, context, options, run_create);
}

// Damaged snapshots are listed as such, with the reason, and do not hide the
// others; the exit code stays 0 (the listing is complete), a warning says what
// to do. `snapshot verify` and `reset` are where damage fails a command.
ExitCode run_list(const Context& context, SnapshotOptions& options) {
    auto settings = resolve_settings(context, options.settings);
    snapshot::Store store(settings.snapshot_dir);
    auto listed = store.list_manifests();
    if (listed.empty()) fmt::print("no snapshots in {}\n", store.root().string());
    int damaged = 0;
    for (const auto& [name, m, problem] : listed) {
        if (!m) {
            fmt::print("{:<24} damaged: {}\n", name, problem);
            ++damaged;
            continue;
        }
        fmt::print("{:<24} {}  {:>4} tables {:>10} rows {:>10}  from {}\n", name, m->created_at, m->tables.size(),
                   m->total_rows(), format_bytes(static_cast<unsigned long long>(m->total_compressed_bytes())),
                   m->source);
    }
    if (damaged > 0) {
        log::warning("{} damaged snapshot(s) in {}: check with \"sandboxctl snapshot verify NAME\", then delete "
                     "and create again",
                     damaged, store.root().string());
    }
    return ExitCode::ok;
}

void add_list(Command& parent, Context& context, const Options& options) {
    auto command = parent.subcommand("list", "List the snapshots in the store");
    on_chosen(command, context, options, run_list);
}

ExitCode run_delete(const Context& context, SnapshotOptions& options) {
    auto settings = resolve_settings(context, options.settings);
    snapshot::Store(settings.snapshot_dir).remove(options.name);
    fmt::print("snapshot \"{}\" deleted\n", options.name);
    return ExitCode::ok;
}

void add_remove(Command& parent, Context& context, const Options& options) {
    auto command = parent.subcommand("delete", "Delete snapshot NAME from the store");
    command.option("NAME", options->name, "Snapshot name").required();
    on_chosen(command, context, options, run_delete);
}

ExitCode run_verify_snapshot(const Context& context, SnapshotOptions& options) {
    auto settings = resolve_settings(context, options.settings);
    snapshot::Store store(settings.snapshot_dir);
    if (!store.exists(options.name)) {
        throw usage_error("snapshot \"" + options.name + "\" does not exist in \"" + store.root().string() + "\"");
    }
    auto dir = store.path_of(options.name);
    auto m = snapshot::load_manifest(dir);
    auto problems = snapshot::check_files(dir, m, snapshot::Thoroughness::full);
    if (problems.empty()) {
        fmt::print("snapshot \"{}\": {} files intact\n", m.name, m.tables.size() + 1);
        return ExitCode::ok;
    }
    for (const auto& p : problems) fmt::print("{}: {}\n", p.file, p.problem);
    throw failure(fmt::format("snapshot \"{}\" is damaged: {} bad file(s)", m.name, problems.size()),
                  "Delete it and create it again.");
}

void add_verify(Command& parent, Context& context, const Options& options) {
    auto command = parent.subcommand("verify", "Re-check the checksum of every file of snapshot NAME");
    command.option("NAME", options->name, "Snapshot name").required();
    on_chosen(command, context, options, run_verify_snapshot);
}

}  // namespace

void register_snapshot(Command& app, Context& context) {
    auto options = std::make_shared<SnapshotOptions>();
    auto command = app.subcommand("snapshot", "Golden snapshots of the sandbox: create, list, delete, verify");
    command.require_subcommand();
    command.footer(R"(
A snapshot is a directory in the store: manifest.json (schema fingerprint, tables with row
counts, content hashes and file checksums, sequence states, creation time, source),
schema.dump (pg_dump custom format) and data/*.zst (one zstd-compressed COPY stream per
table, each frame with its content checksum). It is written under a hidden name and
renamed into place when complete; a failed or interrupted create leaves the previous
snapshot and the sandbox's baseline as they were. `snapshot create` also sets up change
tracking and the golden cache used by `reset`. `list` shows a damaged snapshot as damaged
(exit 0); `verify` exits 1 on one.)");
    add_snapshot_dir_option(command, options->settings);
    add_create(command, context, options);
    add_list(command, context, options);
    add_remove(command, context, options);
    add_verify(command, context, options);
}

}  // namespace sandboxctl::cli
