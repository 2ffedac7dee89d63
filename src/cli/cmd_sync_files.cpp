#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/log.hpp"
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

// One document for all the configured pairs, in the config's order, each
// naming its trees.
nlohmann::json pairs_json(const config::Settings& settings, const std::vector<sync::SyncReport>& reports) {
    nlohmann::json pairs = nlohmann::json::array();
    for (std::size_t i = 0; i < reports.size(); ++i) {
        auto pair = sync::to_json(reports[i]);
        pair["from"] = settings.file_pairs[i].from;
        pair["to"] = settings.file_pairs[i].to;
        pairs.push_back(std::move(pair));
    }
    return {{"pairs", pairs}};
}

struct SyncFilesOptions {
    config::Overrides settings;
    std::string json_path;
    std::string from, to, owner;
    bool remove_extra = false, checksum = false, dry_run = false;
};

ExitCode sync_configured(const config::Settings& settings, const SyncFilesOptions& options,
                         const ReportOutput& output) {
    auto reports = sync::sync_configured_pairs(settings, options.dry_run, "sync-files without --from/--to");
    bool refused = false;
    for (const auto& report : reports) {
        show(report, output.text());
        refused = refused || !report.refused.empty();
    }
    output.write_json(pairs_json(settings, reports));
    return refused ? ExitCode::failed : ExitCode::ok;
}

ExitCode run_sync_files(const Context& context, SyncFilesOptions& options) {
    ReportOutput output(options.json_path);
    if (options.from.empty() != options.to.empty())
        throw usage_error("give both --from and --to, or neither (to use the config)");
    auto settings = resolve_settings(context, options.settings);
    if (options.from.empty()) return sync_configured(settings, options, output);
    sync::SyncOptions sync_options;
    sync_options.remove_extra = options.remove_extra;
    sync_options.checksum = options.checksum;
    sync_options.dry_run = options.dry_run;
    sync_options.from = sync::parse_location(options.from, "--from");
    sync_options.to = sync::parse_location(options.to, "--to");
    if (!options.owner.empty()) sync_options.chown = sync::parse_owner(options.owner);
    auto report = sync::sync_files(sync_options);
    show(report, output.text());
    output.write_json(sync::to_json(report));
    return report.refused.empty() ? ExitCode::ok : ExitCode::failed;
}

}  // namespace

void register_sync_files(Command& app, Context& context) {
    auto options = std::make_shared<SyncFilesOptions>();
    auto command = app.subcommand("sync-files", "Make a destination file tree equal to a source tree, incrementally");
    command.footer(R"(
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
    command.option("--from", options->from, "Source LOCATION (default: every [[files.pair]] of the config)");
    command.option("--to", options->to, "Destination LOCATION");
    command.flag("--delete", options->remove_extra, "Remove destination entries missing from the source");
    command.flag("--checksum", options->checksum, "Compare content hashes instead of size and mtime");
    command.flag("--dry-run", options->dry_run, "Report what would change; change nothing");
    command.option("--chown", options->owner, "Give transferred entries this numeric UID:GID");
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_sync_files);
}

}  // namespace sandboxctl::cli
