#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "pool/lease.hpp"
#include "pool/release.hpp"
#include "pool/status.hpp"

namespace sandboxctl::cli {
namespace {

// A value for `eval "$(sandboxctl lease)"`: single-quoted, quotes closed and
// reopened around each quote.
std::string shell_quoted(const std::string& value) {
    std::string out = "'";
    for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string default_holder() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
    return name.data();
}

std::string checked_holder(const std::string& holder) {
    if (holder.empty() || holder.size() > 200) {
        throw usage_error("--holder needs 1 to 200 characters", "Name the agent or pipeline: --holder ci-pr-1234.");
    }
    for (char c : holder) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
            throw usage_error("--holder holds a control character", "Name the agent or pipeline: --holder ci-pr-1234.");
    }
    return holder;
}

struct LeaseOptions {
    config::Overrides settings;
    std::string json_path;
    std::optional<std::string> holder;
    std::optional<std::string> ttl;
    std::optional<std::string> wait;
};

ExitCode run_lease(const Context& context, LeaseOptions& options) {
    auto start = std::chrono::steady_clock::now();
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    pool::LeaseRequest request;
    request.holder = checked_holder(options.holder.value_or(default_holder()));
    if (options.ttl) {
        request.ttl = parse_duration(*options.ttl, "--ttl");
        if (request.ttl->count() <= 0) throw usage_error("--ttl must be longer than 0");
    }
    if (options.wait) request.wait = parse_duration(*options.wait, "--wait");
    auto lease = pool::lease(settings, request);
    for (const auto& member : lease.reclaimed) log::info("reclaimed {} (its lease had expired)", member);
    auto& out = output.text();
    fmt::print(out, "LEASE_ID={}\nLEASE_MEMBER={}\nLEASE_DATABASE={}\nLEASE_CONNINFO={}\nLEASE_EXPIRES={}\n", lease.id,
               lease.member, shell_quoted(lease.database), shell_quoted(lease.conninfo), lease.expires);
    output.write_json({{"lease", lease.id},
                       {"member", lease.member},
                       {"database", lease.database},
                       {"conninfo", lease.conninfo},
                       {"holder", lease.holder},
                       {"expires", lease.expires},
                       {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}});
    return ExitCode::ok;
}

struct ReleaseOptions {
    config::Overrides settings;
    std::string json_path;
    std::string lease;
};

ExitCode run_release(const Context& context, ReleaseOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto released = pool::release(settings, options.lease);
    if (log::level() >= log::Level::normal) {
        fmt::print(output.text(), "released member {} ({}), leased by \"{}\": {}; free\n", released.member,
                   released.database, released.holder, pool::describe(released.reset));
    }
    output.write_json({{"member", released.member},
                       {"database", released.database},
                       {"holder", released.holder},
                       {"mode", released.reset.full ? "full" : "delta"},
                       {"seconds", std::chrono::duration<double>(released.reset.elapsed).count()}});
    return ExitCode::ok;
}

}  // namespace

void register_lease(Command& app, Context& context) {
    auto options = std::make_shared<LeaseOptions>();
    auto command = app.subcommand("lease", "Lend the caller a clean pool member: its connection string and a lease id");
    command.footer(R"help(
Takes a member of [pool] that is free, with nothing written since its reset to the pool's
snapshot, and lends it until "sandboxctl release LEASE_ID" or the lease's expiry. Prints, for
eval "$(sandboxctl lease)": LEASE_ID, LEASE_MEMBER, LEASE_DATABASE, LEASE_CONNINFO (the member's
connection string, never a password) and LEASE_EXPIRES (UTC). The lease lives in the member's
database (sandboxctl_pool.lease), so callers in different pods share the pool safely: one UPDATE
that only a free member passes, so two callers never hold one member.
With no member free, the members whose lease expired are reset and lent; then lease waits up to
--wait for a release, or exits 3 ("pool exhausted"), saying what each member is doing.)help");
    command.option("--holder", options->holder, "Who holds the lease, shown by pool status (default: the host name)")
        .type_name("NAME");
    command.option("--ttl", options->ttl, "How long the lease lasts (default: [pool] lease_ttl, else 2h)")
        .type_name("DURATION");
    command.option("--wait", options->wait, "Wait this long for a member to come free (default: do not wait)")
        .type_name("DURATION");
    add_snapshot_dir_option(command, options->settings);
    add_timeout_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_lease);

    auto release_options = std::make_shared<ReleaseOptions>();
    auto release = app.subcommand("release", "Reset a leased pool member to the pool's snapshot and free it");
    release.footer(R"(
Resets the member of LEASE_ID to the pool's snapshot (a delta reset: only the rows written since
the lease go back), ending the member's sessions, then frees it. The lease stays held until the
reset commits: a release that fails or is killed leaves the member leased (at the snapshot or as
it was) and can be run again. Exits 3 for a lease the member no longer holds (released already,
or expired and reclaimed).)");
    release.option("LEASE_ID", release_options->lease, "The id \"sandboxctl lease\" printed").required();
    add_snapshot_dir_option(release, release_options->settings);
    add_timeout_options(release, release_options->settings);
    add_json_option(release, release_options->json_path);
    on_chosen(release, context, release_options, run_release);
}

}  // namespace sandboxctl::cli
