#include <fmt/format.h>
#include <fmt/ostream.h>

#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/log.hpp"
#include "pool/status.hpp"
#include "pool/sync.hpp"

namespace sandboxctl::cli {
namespace {

struct PoolOptions {
    config::Overrides settings;
    std::string json_path;
};

const char* outcome_name(pool::SyncedMember::Outcome outcome) {
    switch (outcome) {
        case pool::SyncedMember::Outcome::reset: return "reset";
        case pool::SyncedMember::Outcome::already: return "at the snapshot";
        case pool::SyncedMember::Outcome::held: return "left as it is";
        case pool::SyncedMember::Outcome::failed: return "failed";
    }
    return "";
}

// `pool sync-member --member K`, run by `pool sync` with the options it was
// given (the environment is inherited; no password is on the command line:
// the configuration file and the environment carry them).
pool::MemberProcess member_process(const Context& context, const PoolOptions& options,
                                   const config::Settings& settings) {
    return [&context, &options, &settings](int number) {
        ProcessSpec spec;
        spec.argv = {std::filesystem::read_symlink("/proc/self/exe").string()};
        if (context.global.config_file) spec.argv.insert(spec.argv.end(), {"-c", *context.global.config_file});
        if (context.global.verbose) spec.argv.push_back("-v");
        spec.argv.insert(spec.argv.end(), {"pool", "sync-member", "--member", std::to_string(number), "--snapshot-dir",
                                           settings.snapshot_dir.string()});
        if (options.settings.lock_timeout)
            spec.argv.insert(spec.argv.end(), {"--lock-timeout", *options.settings.lock_timeout});
        if (options.settings.statement_timeout)
            spec.argv.insert(spec.argv.end(), {"--statement-timeout", *options.settings.statement_timeout});
        return spec;
    };
}

ExitCode run_pool_sync(const Context& context, PoolOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto result = pool::sync_pool(settings, member_process(context, options, settings));
    nlohmann::json members = nlohmann::json::array();
    for (const auto& m : result.members) {
        if (log::level() >= log::Level::normal) {
            fmt::print(output.text(), "member {} ({}){}: {}\n", m.number, m.database,
                       m.taken ? ", taken into the pool" : "", m.detail);
        }
        members.push_back({{"member", m.number},
                           {"database", m.database},
                           {"outcome", outcome_name(m.outcome)},
                           {"taken", m.taken},
                           {"detail", m.detail}});
    }
    output.write_json({{"snapshot", result.snapshot}, {"members", members}});
    if (result.failed() > 0) {
        throw failure(fmt::format("{} of {} pool member(s) could not be brought to snapshot \"{}\"", result.failed(),
                                  result.members.size(), result.snapshot),
                      "Each of them is as it was, or at the snapshot, never half-loaded; the lines above say why. "
                      "Run pool sync again once that is fixed.");
    }
    return ExitCode::ok;
}

void print_reclaimed(const std::vector<pool::Reclaimed>& reclaimed, std::ostream& out) {
    for (const auto& r : reclaimed) {
        fmt::print(out, "member {} ({}): {}: {}\n", r.number, r.database, r.why,
                   r.failed ? "could not reclaim it: " + r.outcome : r.outcome + "; free");
    }
}

nlohmann::json reclaimed_json(const std::vector<pool::Reclaimed>& reclaimed) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : reclaimed) {
        out.push_back({{"member", r.number},
                       {"database", r.database},
                       {"holder", r.holder},
                       {"why", r.why},
                       {"failed", r.failed},
                       {"outcome", r.outcome}});
    }
    return out;
}

ExitCode reclaim_failures(const std::vector<pool::Reclaimed>& reclaimed) {
    for (const auto& r : reclaimed) {
        if (r.failed) {
            throw failure(fmt::format("member {} ({}) could not be reclaimed", r.number, r.database),
                          "It is as it was or at the snapshot, and not lent; the line above says why.");
        }
    }
    return ExitCode::ok;
}

ExitCode run_pool_reap(const Context& context, PoolOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto pool = pool::load_pool_snapshot(settings);
    auto reclaimed = pool::reap(settings, pool);
    if (log::level() >= log::Level::normal) {
        if (reclaimed.empty()) fmt::print(output.text(), "no expired lease, no member left dirty\n");
        print_reclaimed(reclaimed, output.text());
    }
    output.write_json({{"reclaimed", reclaimed_json(reclaimed)}});
    return reclaim_failures(reclaimed);
}

std::string or_dash(const std::string& text) { return text.empty() ? "-" : text; }

std::string state_of(const pool::MemberStatus& s) {
    if (!s.problem.empty()) return "unreachable";
    if (!s.lease) return "not synced";
    if (s.lease->state == "free" && !s.written.empty()) return "dirty";  // written after its release
    if (s.lease->state == "free" && !s.current) return "stale";
    if (s.lease->state == "leased" && s.lease->expired) return "expired";
    return s.lease->state;
}

ExitCode run_pool_status(const Context& context, PoolOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto pool = pool::load_pool_snapshot(settings);
    auto reclaimed = pool::reap(settings, pool);
    auto statuses = pool::pool_status(settings, pool);
    auto& out = output.text();
    print_reclaimed(reclaimed, out);
    fmt::print(out, "pool snapshot \"{}\" ({})\n", pool.record.snapshot, pool.manifest.created_at);
    fmt::print(out, "{:<7} {:<24} {:<11} {:<20} {:<21} {:<21} {}\n", "member", "database", "state", "holder", "since",
               "expires", "written tables");
    nlohmann::json members = nlohmann::json::array();
    for (const auto& s : statuses) {
        std::string holder = s.lease ? s.lease->holder : "";
        std::string since = s.lease ? s.lease->since : "";
        std::string expires = s.lease ? s.lease->expires : "";
        std::string written = s.written.empty() ? "0" : fmt::format("{}", s.written.size());
        fmt::print(out, "{:<7} {:<24} {:<11} {:<20} {:<21} {:<21} {}\n", s.number, s.database, state_of(s),
                   or_dash(holder), or_dash(since), or_dash(expires), written);
        if (!s.problem.empty()) fmt::print(out, "        {}\n", s.problem);
        members.push_back({{"member", s.number},
                           {"database", s.database},
                           {"state", state_of(s)},
                           {"holder", holder},
                           {"since", since},
                           {"expires", expires},
                           {"written_tables", s.written},
                           {"problem", s.problem}});
    }
    output.write_json({{"snapshot", pool.record.snapshot},
                       {"snapshot_instance", pool.manifest.instance()},
                       {"reclaimed", reclaimed_json(reclaimed)},
                       {"members", members}});
    return reclaim_failures(reclaimed);
}

struct SyncMemberOptions {
    config::Overrides settings;
    std::optional<int> member;
};

ExitCode run_sync_member(const Context& context, SyncMemberOptions& options) {
    end_with_parent();
    auto settings = resolve_settings(context, options.settings);
    fmt::print("{}\n", pool::sync_member_from_stream(settings, options.member.value_or(0), STDIN_FILENO));
    return ExitCode::ok;
}

void add_sync_member(Command& parent, Context& context) {
    auto options = std::make_shared<SyncMemberOptions>();
    auto command = parent.subcommand("sync-member", "Reset one member from the rows pool sync sends (internal)");
    command.hide();
    command.option("--member", options->member, "The member's number").required();
    add_snapshot_dir_option(command, options->settings);
    add_timeout_options(command, options->settings);
    on_chosen(command, context, options, run_sync_member);
}

void add_pool_command(Command& parent, Context& context, const char* name, const char* description, const char* footer,
                      ExitCode (*run)(const Context&, PoolOptions&)) {
    auto options = std::make_shared<PoolOptions>();
    auto command = parent.subcommand(name, description);
    command.footer(footer);
    add_snapshot_dir_option(command, options->settings);
    add_timeout_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run);
}

}  // namespace

void register_pool(Command& app, Context& context) {
    auto command = app.subcommand("pool", "A pool of sandboxes lent to one caller at a time: sync, status, reap");
    command.require_subcommand();
    command.footer(R"(
[pool] in the configuration names the members (targets: a CONNINFO each, with its own login
when "sandboxctl provision --login-per-sandbox" made them), the snapshot they are brought to
(snapshot: taken of the sandbox after its refresh, profile, kept rows and masking applied) and
the default lease length (lease_ttl, default 2h):
  [pool]
  targets = ["host=db dbname=erp-sandbox-1 user=agent1", "host=db dbname=erp-sandbox-2 user=agent2"]
  snapshot = "golden"
  lease_ttl = "2h"
Each member keeps its own sandbox mark; the snapshot store records the pool's members
(.pool-NAME.json), and a snapshot goes only into the sandbox it was taken of or a listed
member. See also "sandboxctl lease" and "sandboxctl release".)");
    add_pool_command(command, context, "sync", "Bring every member to the pool's snapshot (leased ones left alone)",
                     R"(
An empty, unmarked member database is taken into the pool (marked, listed); a member marked by
anything else, or not empty, is refused. A member whose lease is held is never reset (said so);
one at the snapshot with nothing written is left as it is; any other is reset (delta when it
can, full when it holds another snapshot) and freed. Members are done one at a time, each in one
transaction: a sync killed halfway leaves every member at the snapshot or as it was. Exits 1 if
any member could not be brought to the snapshot (the others are).)",
                     run_pool_sync);
    add_pool_command(command, context, "status", "List each member: state, holder, since, expiry, tables written",
                     R"(
States: free (at the snapshot, nothing written), leased, expired (leased past its expiry),
dirty (taken for a reset: a killed run left it, or it was written after its release), stale
(free but at an older snapshot), not synced, unreachable. Expired leases and dirty members are
reset and freed first, as by pool reap.)",
                     run_pool_status);
    add_pool_command(command, context, "reap", "Reset and free the members whose lease expired (for a CronJob)",
                     R"(
Resets each member whose lease expired, and each member a killed run left dirty, to the pool's
snapshot, and frees it. A member another run is resetting is left to it. Exits 1 if a member
could not be reclaimed.)",
                     run_pool_reap);
    add_sync_member(command, context);
}

}  // namespace sandboxctl::cli
