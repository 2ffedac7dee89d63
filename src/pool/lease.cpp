#include "pool/lease.hpp"

#include <fmt/format.h>

#include <filesystem>
#include <thread>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "pg/service_section.hpp"
#include "pool/lease_id.hpp"
#include "pool/lease_table.hpp"
#include "pool/member_order.hpp"
#include "pool/record.hpp"
#include "pool/status.hpp"

namespace sandboxctl::pool {
namespace {

// What the members said: a member that could not be asked (an error other
// than "never synced") is not an exhausted one.
struct Attempts {
    int asked = 0;
    std::vector<std::string> errors;
};

std::optional<Lease> try_members(const std::vector<Member>& members, const config::Settings& settings,
                                 const LeaseRequest& request, Attempts& attempts) {
    auto ttl = request.ttl.value_or(require_pool(settings).lease_ttl);
    MemberOrder order(members);
    while (const Member* next = order.next()) {
        const auto& member = *next;
        // A stop signal ends the search: nothing is leased after it (a claim
        // it cancelled reads as that member's error).
        interrupt::throw_if_requested();
        try {
            auto conn = connect(member, "lease");
            // Before the claim: a lease is never taken that could not be handed over.
            auto section = request.credentials ? pg::service_section(conn, "lease") : std::string();
            auto id = new_lease_id(member.number);
            auto sent = std::chrono::steady_clock::now();
            if (auto expires = claim(conn, lease_hash(id), request.holder, ttl)) {
                return Lease{id,
                             member.number,
                             conn.database(),
                             member.info.without_password(),
                             request.holder,
                             *expires,
                             deadline_after(sent, ttl),
                             {},
                             section};
            }
            ++attempts.asked;
            order.put_idle_first(conn, member);
        } catch (const pg::PgError& e) {
            // undefined_table: the member was never synced, which "pool exhausted" explains.
            if (e.sqlstate() == "42P01") {
                ++attempts.asked;
            } else {
                attempts.errors.push_back(fmt::format("{}: {}", member.display(), e.what()));
            }
            log::detail("lease: {}: {}", member.display(), e.what());
        } catch (const Error& e) {
            if (!busy(e)) attempts.errors.push_back(fmt::format("{}: {}", member.display(), e.what()));
            log::detail("lease: {}: {}", member.display(), e.what());
        }
    }
    return std::nullopt;
}

// "pool exhausted: 4 members: 3 leased (next expiry 2026-...), 1 not at the snapshot"
std::string exhausted_message(const std::vector<MemberStatus>& statuses) {
    int leased = 0, stale = 0, unreachable = 0, other = 0;
    std::string next_expiry;
    for (const auto& s : statuses) {
        if (!s.problem.empty()) {
            ++unreachable;
        } else if (s.lease && s.lease->state == "leased") {
            ++leased;
            if (next_expiry.empty() || s.lease->expires < next_expiry) next_expiry = s.lease->expires;
        } else if (!s.current) {
            ++stale;
        } else {
            ++other;  // came free meanwhile
        }
    }
    std::vector<std::string> parts;
    if (leased) parts.push_back(fmt::format("{} leased (the first expires at {})", leased, next_expiry));
    if (stale) parts.push_back(fmt::format("{} not at the snapshot (pool sync brings them to it)", stale));
    if (unreachable) parts.push_back(fmt::format("{} unreachable or busy", unreachable));
    if (other) parts.push_back(fmt::format("{} freed meanwhile", other));
    std::string joined;
    for (const auto& p : parts) joined += (joined.empty() ? "" : ", ") + p;
    return fmt::format("pool exhausted: {} member(s): {}", statuses.size(), joined);
}

// A pool whose record is gone cannot reset its members: lending one would
// give a lease that release cannot finish.
void require_record(const config::Settings& settings) {
    const auto& pool = require_pool(settings);
    auto record = record_path(settings.snapshot_dir, pool.snapshot);
    if (!std::filesystem::exists(record)) {
        throw Error(ExitCode::refused, fmt::format("the pool has no record \"{}\"", record.string()),
                    "Run \"sandboxctl pool sync\" first (with this snapshot store: --snapshot-dir).");
    }
}

}  // namespace

Lease lease(const config::Settings& settings, const LeaseRequest& request) {
    auto members = members_of(settings);
    auto deadline = deadline_after(std::chrono::steady_clock::now(), request.wait);
    std::vector<std::string> reclaimed;
    // Read only when no member is free: the fast path reads no file.
    std::optional<PoolSnapshot> pool;
    require_record(settings);
    for (;;) {
        Attempts attempts;
        if (auto granted = try_members(members, settings, request, attempts)) {
            granted->reclaimed = reclaimed;
            return *granted;
        }
        if (attempts.asked == 0 && !attempts.errors.empty()) {
            throw failure(fmt::format("could not lease a member: {}", attempts.errors.front()),
                          "Every member failed the same way? Check [pool] targets and \"sandboxctl pool status\".");
        }
        if (!pool) pool = load_pool_snapshot(settings);
        bool any_reclaimed = false;
        for (const auto& item : reap(settings, *pool)) {
            if (item.failed) {
                log::warning("could not reclaim member {} ({}): {}", item.number, item.database, item.outcome);
                continue;
            }
            reclaimed.push_back(fmt::format("member {} ({})", item.number, item.database));
            any_reclaimed = true;
        }
        if (any_reclaimed) continue;
        if (std::chrono::steady_clock::now() >= deadline) {
            throw Error(ExitCode::refused, exhausted_message(pool_status(settings, *pool)),
                        "Wait for a release (--wait DURATION waits for one), or see \"sandboxctl pool status\".");
        }
        interrupt::throw_if_requested();
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
}

}  // namespace sandboxctl::pool
