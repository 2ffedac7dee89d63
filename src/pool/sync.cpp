#include "pool/sync.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "pool/lease_table.hpp"
#include "pool/member_reset.hpp"
#include "pool/status.hpp"
#include "safety/sandbox_mark.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::pool {
namespace {

bool nothing_written(pg::Connection& conn) {
    if (!snapshot::tracking_installed(conn)) return false;
    conn.exec("BEGIN");
    bool clean = snapshot::dirty_tables(conn).empty();
    conn.exec("COMMIT");
    return clean;
}

SyncedMember sync_member(const config::Settings& settings, const Member& member, PoolSnapshot& pool) {
    SyncedMember synced{member.number, member.info.get("dbname").value_or(""), SyncedMember::Outcome::already, "",
                        false};
    std::string mark;
    {
        auto conn = connect_repairing(settings, member, "pool sync");
        synced.taken = !safety::read_mark(conn);
        mark = admit(conn, member, pool, NewMembers::take);
        create_lease_table(conn);
        auto row = read_lease(conn);
        if (row->state == "leased" && !row->expired) {
            synced.outcome = SyncedMember::Outcome::held;
            synced.detail = fmt::format("leased by \"{}\" until {}: left as it is", row->holder, row->expires);
            return synced;
        }
        if (row->state == "free" && row->snapshot == pool.manifest.instance() && nothing_written(conn)) {
            synced.detail = "at the snapshot already";
            return synced;
        }
        if (!take_for_reset(conn, *row)) {
            synced.outcome = SyncedMember::Outcome::held;
            synced.detail = "taken by another caller meanwhile: left as it is";
            return synced;
        }
    }
    auto result = reset_member(settings, member, pool, mark);
    auto conn = connect_repairing(settings, member, "pool sync");
    mark_free(conn, pool.manifest.instance());
    synced.outcome = SyncedMember::Outcome::reset;
    synced.detail = describe(result);
    return synced;
}

}  // namespace

int SyncResult::failed() const {
    return static_cast<int>(std::count_if(members.begin(), members.end(), [](const SyncedMember& m) {
        return m.outcome == SyncedMember::Outcome::failed;
    }));
}

SyncResult sync_pool(const config::Settings& settings) {
    auto pool = load_pool_snapshot(settings);
    SyncResult result{pool.record.snapshot, {}};
    for (const auto& member : members_of(settings)) {
        interrupt::throw_if_requested();
        try {
            result.members.push_back(sync_member(settings, member, pool));
        } catch (const Error& e) {
            // A member that cannot be brought to the snapshot does not keep
            // the others from it; the run's exit code says it failed.
            SyncedMember failed{member.number, member.info.get("dbname").value_or(""), SyncedMember::Outcome::failed,
                                e.what(), false};
            if (busy(e)) {
                failed.outcome = SyncedMember::Outcome::held;
                failed.detail = "another run is resetting it: left as it is";
            }
            result.members.push_back(std::move(failed));
        }
    }
    return result;
}

}  // namespace sandboxctl::pool
