#include "pool/release.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "pool/lease_id.hpp"
#include "pool/lease_table.hpp"
#include "pool/member_reset.hpp"

namespace sandboxctl::pool {
namespace {

std::string state_of(const std::optional<LeaseRow>& row) {
    if (!row) return "without a lease row (never synced, or the row was deleted: pool sync makes it again)";
    if (row->state == "leased") return fmt::format("leased by \"{}\" under another lease", row->holder);
    return row->state;
}

}  // namespace

Released release(const config::Settings& settings, const std::string& lease_id) {
    auto number = member_of_lease(lease_id);
    auto members = members_of(settings);
    if (static_cast<std::size_t>(number) > members.size()) {
        throw Error(ExitCode::refused,
                    fmt::format("lease {} is of member {}, and the pool has {}", lease_id, number, members.size()),
                    "Check the configuration: is it the pool the lease came from?");
    }
    const auto& member = members[static_cast<std::size_t>(number - 1)];
    auto pool = load_pool_snapshot(settings);
    auto hash = lease_hash(lease_id);
    Released released{number, member.database(), "", {}};
    // One session for all of it: a new one costs tens of milliseconds, and a
    // release comes between two scenarios.
    auto target = open_member(settings, member, "release");
    released.database = target.conn.database();
    auto row = read_lease(target.conn);
    if (!row || row->state != "leased" || row->lease_hash != hash) {
        throw Error(ExitCode::refused,
                    fmt::format("{} does not hold this lease: it is {}", member.display(), state_of(row)),
                    "It was released already, or it expired and a pool command reclaimed it.");
    }
    released.holder = row->holder;
    auto mark = admit(target.conn, member, pool, NewMembers::refuse);
    released.reset = reset_member(target, settings, member, pool, mark);
    if (!free_if_leased(target.conn, hash, pool.manifest.instance())) {
        log::warning("{} was reclaimed by another run while this release reset it", member.display());
    }
    return released;
}

}  // namespace sandboxctl::pool
