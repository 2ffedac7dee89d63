#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "plan/session_setup.hpp"
#include "snapshot/file_check.hpp"
#include "snapshot/operations.hpp"
#include "snapshot/store.hpp"

namespace sandboxctl::cli {
namespace {

void create(Context& context, CLI::App& parent) {
    auto* command = parent.add_subcommand("create", "Capture the sandbox (schema and data, one snapshot) as NAME");
    command->add_option("NAME", context.snapshot_name, "Snapshot name")->required();
    command->add_flag("--replace", context.replace, "Replace an existing snapshot of that name");
    add_target_options(*command, context);
    add_target_role_option(*command, context);
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            auto target = plan::open_target(settings, "snapshot");
            auto start = std::chrono::steady_clock::now();
            auto m = snapshot::create_snapshot(target, settings, context.snapshot_name, context.replace);
            fmt::print("snapshot \"{}\" created in {}: {} tables, {} rows, {} sequences, {} compressed\n", m.name,
                       format_duration(std::chrono::steady_clock::now() - start), m.tables.size(), m.total_rows(),
                       m.sequences.size(), format_bytes(static_cast<unsigned long long>(m.total_compressed_bytes())));
            return ExitCode::ok;
        };
    });
}

// Damaged snapshots are listed as such, with the reason, and do not hide the
// others; the exit code stays 0 (the listing is complete), a warning says what
// to do. `snapshot verify` and `reset` are where damage fails a command.
void list(Context& context, CLI::App& parent) {
    auto* command = parent.add_subcommand("list", "List the snapshots in the store");
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
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
                fmt::print("{:<24} {}  {:>4} tables {:>10} rows {:>10}  from {}\n", name, m->created_at,
                           m->tables.size(), m->total_rows(),
                           format_bytes(static_cast<unsigned long long>(m->total_compressed_bytes())), m->source);
            }
            if (damaged > 0) {
                log::warning(
                    "{} damaged snapshot(s) in {}: check with \"sandboxctl snapshot verify NAME\", then delete "
                    "and create again",
                    damaged, store.root().string());
            }
            return ExitCode::ok;
        };
    });
}

void remove(Context& context, CLI::App& parent) {
    auto* command = parent.add_subcommand("delete", "Delete snapshot NAME from the store");
    command->add_option("NAME", context.snapshot_name, "Snapshot name")->required();
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            snapshot::Store(settings.snapshot_dir).remove(context.snapshot_name);
            fmt::print("snapshot \"{}\" deleted\n", context.snapshot_name);
            return ExitCode::ok;
        };
    });
}

void verify(Context& context, CLI::App& parent) {
    auto* command = parent.add_subcommand("verify", "Re-check the checksum of every file of snapshot NAME");
    command->add_option("NAME", context.snapshot_name, "Snapshot name")->required();
    command->callback([&context] {
        context.action = [&context] {
            auto settings = config::resolve(context.overrides);
            snapshot::Store store(settings.snapshot_dir);
            if (!store.exists(context.snapshot_name)) {
                throw usage_error("snapshot \"" + context.snapshot_name + "\" does not exist in \"" +
                                  store.root().string() + "\"");
            }
            auto dir = store.path_of(context.snapshot_name);
            auto m = snapshot::load_manifest(dir);
            auto problems = snapshot::check_files(dir, m, snapshot::Thoroughness::full);
            if (problems.empty()) {
                fmt::print("snapshot \"{}\": {} files intact\n", m.name, m.tables.size() + 1);
                return ExitCode::ok;
            }
            for (const auto& p : problems) fmt::print("{}: {}\n", p.file, p.problem);
            throw failure(fmt::format("snapshot \"{}\" is damaged: {} bad file(s)", m.name, problems.size()),
                          "Delete it and create it again.");
        };
    });
}

}  // namespace

void add_snapshot_command(CLI::App& app, Context& context) {
    auto* command = app.add_subcommand("snapshot", "Golden snapshots of the sandbox: create, list, delete, verify");
    command->require_subcommand(1);
    command->footer(R"(
A snapshot is a directory in the store: manifest.json (schema fingerprint, tables with row
counts, content hashes and file checksums, sequence states, creation time, source),
schema.dump (pg_dump custom format) and data/*.zst (one zstd-compressed COPY stream per
table, each frame with its content checksum). It is written under a hidden name and
renamed into place when complete; a failed or interrupted create leaves the previous
snapshot and the sandbox's baseline as they were. `snapshot create` also sets up change
tracking and the golden cache used by `reset`. `list` shows a damaged snapshot as damaged
(exit 0); `verify` exits 1 on one.)");
    add_snapshot_dir_option(*command, context);
    create(context, *command);
    list(context, *command);
    remove(context, *command);
    verify(context, *command);
}

}  // namespace sandboxctl::cli
