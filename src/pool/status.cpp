#include "pool/status.hpp"

#include <fmt/format.h>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace sandboxctl::pool {
namespace {

MemberStatus status_of(const Member& member, const PoolSnapshot& pool) {
    MemberStatus status{member.number, member.database(), std::nullopt, false, {}, ""};
    try {
        auto conn = connect(member, "pool status");
        status.database = conn.database();
        status.lease = read_lease(conn);
        if (status.lease) status.written = tables_written(conn);
        status.current = status.lease && status.lease->state == "free" &&
                         status.lease->snapshot == pool.manifest.instance() && status.written.empty();
    } catch (const Error& e) {
        status.problem = e.what();
    }
    return status;
}

// Whether this member needs reclaiming: its lease expired, a killed run
// left it dirty, or it is free but was written to after its release.
bool reclaimable(pg::Connection& conn, const std::optional<LeaseRow>& row) {
    if (!row) return false;
    if ((row->state == "leased" && row->expired) || row->state == "dirty") return true;
    return row->state == "free" && !tables_written(conn).empty();
}

}  // namespace

std::string describe(const reset::ResetResult& result) {
    if (result.full) {
        return fmt::format("full reset ({}): {} tables, {} rows, in {}", result.why_full, result.tables_loaded,
                           result.rows_loaded, format_duration(result.elapsed));
    }
    return fmt::format("delta reset: {} tables, {} rows deleted, {} inserted, {} updated, in {}", result.delta.tables,
                       result.delta.deleted, result.delta.inserted, result.delta.updated,
                       format_duration(result.elapsed));
}

std::vector<MemberStatus> pool_status(const config::Settings& settings, const PoolSnapshot& pool) {
    std::vector<MemberStatus> statuses;
    for (const auto& member : members_of(settings)) statuses.push_back(status_of(member, pool));
    return statuses;
}

std::vector<Reclaimed> reap(const config::Settings& settings, PoolSnapshot& pool) {
    std::vector<Reclaimed> reclaimed;
    for (const auto& member : members_of(settings)) {
        Reclaimed item{member.number, member.database(), "", "", false};
        bool taken = false;
        try {
            auto target = open_member(settings, member, "pool reap");
            item.database = target.conn.database();
            auto row = read_lease(target.conn);
            if (!reclaimable(target.conn, row)) continue;
            item.holder = row->state == "leased" ? row->holder : "";
            item.why = item.holder.empty() ? "dirty (a killed run, or writes after its release)"
                                           : fmt::format("lease of \"{}\" expired", item.holder);
            auto mark = admit(target.conn, member, pool, NewMembers::refuse);
            if (!take_for_reset(target.conn, *row)) continue;  // another caller took it first
            taken = true;
            auto result = reset_member(target, settings, member, pool, mark);
            mark_free(target.conn, pool.manifest.instance());
            item.outcome = describe(result);
        } catch (const Error& e) {
            // Busy before this run took it: another run is resetting it. Once
            // taken, it stays out of the lending until reset: said, not skipped
            // (a session that is not sandboxctl's may hold the run lock).
            if (busy(e) && !taken) continue;
            item.outcome = e.what();
            item.failed = true;
        }
        log::detail("pool reap: member {}: {}", item.number, item.outcome);
        reclaimed.push_back(std::move(item));
    }
    return reclaimed;
}

}  // namespace sandboxctl::pool
