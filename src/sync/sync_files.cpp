#include "sync/sync_files.hpp"

#include <fmt/format.h>
#include <chrono>
#include <filesystem>
#include <future>
#include <optional>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/temp_dir.hpp"
#include "sync/local_destination.hpp"
#include "sync/path_safety.hpp"
#include "sync/remote_destination.hpp"
#include "sync/remote_session.hpp"
#include "sync/sync_plan.hpp"
#include "sync/transfer.hpp"
#include "sync/tree.hpp"

namespace sandboxctl::sync {

std::pair<unsigned, unsigned> parse_owner(const std::string& text) {
    auto colon = text.find(':');
    try {
        if (colon == std::string::npos) throw std::invalid_argument("no colon");
        std::size_t used = 0;
        unsigned long uid = std::stoul(text.substr(0, colon), &used);
        if (used != colon) throw std::invalid_argument("uid");
        unsigned long gid = std::stoul(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1 || uid > 4294967294UL || gid > 4294967294UL)
            throw std::invalid_argument("gid");
        return {static_cast<unsigned>(uid), static_cast<unsigned>(gid)};
    } catch (const std::exception&) {
        throw usage_error("invalid --chown \"" + text + "\"", "Use numeric UID:GID, for example 33:33.");
    }
}

SyncReport sync_files(const SyncOptions& given) {
    auto started = std::chrono::steady_clock::now();
    check_trees_apart(given.from, given.to);
    // A mistyped source must not look like an empty tree: with --delete that
    // would empty the destination.
    if (given.from.is_local() && !std::filesystem::is_directory(given.from.path)) {
        throw failure("could not read source \"" + given.from.path + "\": no such directory",
                      "Check --from (or files.pair.from in the config); nothing was changed.");
    }
    TempDir work("sandboxctl-sync");
    SyncOptions options = given;
    resolve_location(options.from);
    resolve_location(options.to);
    // A source needs a second session only to hash its files.
    std::optional<SshMultiplexing> from_link;
    if (options.checksum) from_link.emplace(options.from, work.path().string());
    SshMultiplexing to_link(options.to, work.path().string());
    auto hashing = options.checksum ? Hashing::sha256 : Hashing::none;
    // A remote source is listed and read in one session (one handshake).
    std::unique_ptr<RemoteSession> session;
    if (!options.from.is_local()) session = std::make_unique<RemoteSession>(options.from);
    // Both sides are listed at once: each listing waits on its own disk or link.
    auto source_listing = std::async(std::launch::async, [&] {
        if (!session) return list_tree(options.from, hashing);
        Tree tree = session->listing();
        if (hashing == Hashing::sha256) add_remote_hashes(options.from, tree);
        return tree;
    });
    Tree existing = list_tree(options.to, hashing);
    Tree source = source_listing.get();
    log::detail("listed {} source and {} destination entries in {}", source.size(), existing.size(),
                format_duration(std::chrono::steady_clock::now() - started));
    auto plan = plan_sync(source, existing, options.checksum, options.remove_extra);
    // A dry run reports the plan; the remote session ends unused.
    if (options.dry_run) return predicted_report(plan);

    SyncReport report;
    report.unchanged = plan.unchanged;
    report.directories_created = static_cast<long long>(plan.created_directories.size());
    report.deleted = plan.deleted;
    report.refused = plan.refused;
    auto destination = options.to.is_local() ? make_local_destination(options) : make_remote_destination(options, work);
    std::vector<std::string> partials;
    for (const auto& [path, entry] : existing) {
        if (is_partial(path)) partials.push_back(path);
    }
    destination->remove_partials(partials);
    for (const auto& path : plan.replaced) destination->remove(path);
    for (const auto& path : plan.created_directories) destination->create_directory(path);
    destination->flush();
    // A session is always ended through transfer (possibly with nothing to send).
    auto transfer_started = std::chrono::steady_clock::now();
    if (!plan.to_send.empty() || session) {
        transfer(options, plan.to_send, report, *destination, work, plan.bytes, session.get());
    }
    log::detail("transferred {} entries ({} bytes) in {}", plan.to_send.size(), report.bytes_transferred,
                format_duration(std::chrono::steady_clock::now() - transfer_started));
    for (const auto& path : report.deleted) destination->remove(path);
    for (const auto& [path, entry] : plan.attributes) {
        destination->set_attributes(path, entry);
        ++report.attributes_updated;
    }
    destination->finish();
    return report;
}

namespace {

// A local tree named relative in the config file is relative to the file, as
// every other path in it is; remote paths are the remote side's business.
void relative_to(Location& location, const std::filesystem::path& base_dir) {
    if (location.kind != Location::Kind::local || base_dir.empty()) return;
    std::filesystem::path path(location.path);
    if (path.is_absolute()) return;
    location.path = (base_dir / path).string();
    location.text = location.path;
}

// The [[files.pair]] trees of the configuration, every one checked
// (locations, --chown, trees apart) before any is synced. Throws a usage
// error naming the pair, or naming `command` when there is none.
std::vector<SyncOptions> configured_pairs(const config::Settings& settings, bool dry_run, std::string_view command) {
    if (settings.file_pairs.empty()) {
        throw usage_error(std::string(command) + ": no [[files.pair]] in the configuration",
                          "Add a [[files.pair]] table with from and to (one per tree) to the config file (-c FILE).");
    }
    std::vector<SyncOptions> pairs;
    for (std::size_t i = 0; i < settings.file_pairs.size(); ++i) {
        const auto& pair = settings.file_pairs[i];
        try {
            SyncOptions options;
            options.from = parse_location(pair.from, "files.pair.from");
            options.to = parse_location(pair.to, "files.pair.to");
            relative_to(options.from, pair.base_dir);
            relative_to(options.to, pair.base_dir);
            options.remove_extra = settings.files_delete;
            options.checksum = settings.files_checksum;
            options.dry_run = dry_run;
            if (!settings.files_chown.empty()) options.chown = parse_owner(settings.files_chown);
            check_trees_apart(options.from, options.to);
            pairs.push_back(std::move(options));
        } catch (const Error&) {
            rethrow_with_context(fmt::format("[[files.pair]] #{} of the configuration", i + 1));
        }
    }
    return pairs;
}

}  // namespace

void check_configured_pairs(const config::Settings& settings, std::string_view command) {
    configured_pairs(settings, false, command);
}

std::vector<SyncReport> sync_configured_pairs(const config::Settings& settings, bool dry_run,
                                              std::string_view command) {
    std::vector<SyncReport> reports;
    for (const auto& options : configured_pairs(settings, dry_run, command)) {
        log::info("syncing files {} -> {}", options.from.text, options.to.text);
        reports.push_back(sync_files(options));
    }
    return reports;
}

}  // namespace sandboxctl::sync
