#include <iostream>

#include "cli/commands.hpp"
#include "core/log.hpp"
#include "output/json_file.hpp"
#include "sync/sync_files.hpp"

namespace sandboxctl::cli {
namespace {

// The summary, unless --quiet; refused entries fail the run, so they are
// errors and shown even then.
void show(const sync::SyncReport& report, std::ostream& out) {
    if (log::level() >= log::Level::normal) {
        sync::print_text(report, out);
        return;
    }
    for (const auto& [path, reason] : report.refused) log::error("refused \"{}\": {}", path, reason);
}

}  // namespace

void add_sync_files_command(CLI::App& app, Context& context) {
    auto* command =
        app.add_subcommand("sync-files", "Make a destination file tree equal to a source tree, incrementally");
    command->footer(R"(
LOCATION: a local path, ssh://[user@]host[:port]/path, kubectl://pod/path,
kubectl://[namespace/]pod[/container]::/path, or exec:COMMAND::/path (COMMAND runs one more
argument as a shell script, e.g. "exec:docker exec -i app sh -c::/var/www/documents").
Either side may be remote. The remote side needs only a POSIX shell, GNU find and tar. The
source is only read. Entries are compared by type, size and mtime (--checksum: SHA-256); only
new or changed ones travel, in one tar stream. Files are written under a temporary name and
renamed into place. Entries that would escape the destination (absolute paths, "..", symlinks
pointing outside, devices) are refused and reported. A source and destination that are one
tree or contain one another are refused (exit 2) before anything changes. --dry-run lists
both sides and reports what the run would transfer, create and delete.)");
    command->add_option("--from", context.sync_from, "Source LOCATION (default: every [[files.pair]] of the config)");
    command->add_option("--to", context.sync_to, "Destination LOCATION");
    command->add_flag("--delete", context.sync_delete, "Remove destination entries missing from the source");
    command->add_flag("--checksum", context.sync_checksum, "Compare content hashes instead of size and mtime");
    command->add_flag("--dry-run", context.dry_run, "Report what would change; change nothing");
    command->add_option("--chown", context.sync_owner, "Give transferred entries this numeric UID:GID");
    add_json_option(*command, context);
    command->callback([&context] {
        context.action = [&context] {
            const auto& from = context.sync_from;
            const auto& to = context.sync_to;
            if (from.empty() != to.empty())
                throw usage_error("give both --from and --to, or neither (to use the config)");
            auto settings = config::resolve(context.overrides);
            if (from.empty()) {
                bool refused = false;
                for (const auto& report :
                     sync::sync_configured_pairs(settings, context.dry_run, "sync-files without --from/--to")) {
                    show(report, std::cout);
                    refused = refused || !report.refused.empty();
                }
                return refused ? ExitCode::failed : ExitCode::ok;
            }
            sync::SyncOptions options;
            options.remove_extra = context.sync_delete;
            options.checksum = context.sync_checksum;
            options.dry_run = context.dry_run;
            options.from = sync::parse_location(from, "--from");
            options.to = sync::parse_location(to, "--to");
            if (!context.sync_owner.empty()) options.chown = sync::parse_owner(context.sync_owner);
            auto report = sync::sync_files(options);
            show(report, context.json_path == "-" ? std::cerr : std::cout);
            if (!context.json_path.empty()) output::write_json_file(sync::to_json(report), context.json_path);
            return report.refused.empty() ? ExitCode::ok : ExitCode::failed;
        };
    });
}

}  // namespace sandboxctl::cli
