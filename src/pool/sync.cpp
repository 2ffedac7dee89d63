#include "pool/sync.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <memory>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "pool/lease_table.hpp"
#include "pool/member_reset.hpp"
#include "pool/row_stream.hpp"
#include "pool/status.hpp"
#include "safety/preflight.hpp"
#include "safety/sandbox_mark.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::pool {
namespace {

// A member this sync resets: taken for it (dirty), its mark known.
struct ToReset {
    std::size_t slot = 0;  // in SyncResult::members
    Member member;
    std::string mark;
    // safety::lockable_objects before the reset, for members_at_once: counted
    // by prepare, on the session it has open, rather than on one more each.
    long long objects = 0;
};

// Admits the member and decides: nullopt when it is left as it is (`synced`
// says why), else the member, turned dirty, to reset.
std::optional<ToReset> prepare(const config::Settings& settings, const Member& member, PoolSnapshot& pool,
                               SyncedMember& synced, std::map<std::string, int>& numbers_by_mark) {
    // Repairing: a member a killed run left refusing connections is one to reset.
    auto target = open_member(settings, member, "pool sync");
    auto& conn = target.conn;
    synced.database = conn.database();
    bool unmarked = !safety::read_mark(conn);
    auto mark = admit(conn, member, pool, NewMembers::take);
    // Two targets naming one database (a host alias, a second service) would
    // count it twice and reset it from two sides.
    if (auto [first, inserted] = numbers_by_mark.emplace(mark, member.number); !inserted) {
        throw Error(ExitCode::refused,
                    fmt::format("{} is the database of member {} too", member.display(), first->second),
                    "List each database once in [pool] targets.");
    }
    synced.taken = unmarked;
    create_lease_table(conn);
    auto row = read_lease(conn);
    if (row->state == "leased" && !row->expired) {
        synced.outcome = SyncedMember::Outcome::held;
        synced.detail = fmt::format("leased by \"{}\" until {}: left as it is", row->holder, row->expires);
        return std::nullopt;
    }
    if (row->state == "free" && row->snapshot == pool.manifest.instance() && snapshot::tracking_installed(conn) &&
        tables_written(conn).empty()) {
        synced.detail = "at the snapshot already";
        return std::nullopt;
    }
    if (!take_for_reset(conn, *row)) {
        synced.outcome = SyncedMember::Outcome::held;
        synced.detail = "taken by another caller meanwhile: left as it is";
        return std::nullopt;
    }
    return ToReset{0, member, mark, safety::lockable_objects(conn)};
}

// `taken`: this run had turned the member dirty. Busy before that, another
// run has it; busy after, it stays out of the lending (a session that is not
// sandboxctl's may hold the run lock), which is a failure to say.
void record_failure(SyncedMember& synced, const Error& e, bool taken) {
    synced.outcome = SyncedMember::Outcome::failed;
    synced.detail = e.what();
    // A member that cannot be brought to the snapshot does not keep the
    // others from it; the run's exit code says it failed.
    if (busy(e) && !taken) {
        synced.outcome = SyncedMember::Outcome::held;
        synced.detail = "another run is resetting it: left as it is";
    }
}

void reset_here(const config::Settings& settings, const ToReset& item, PoolSnapshot& pool, SyncedMember& synced) {
    try {
        auto target = open_member(settings, item.member, "pool sync");
        auto result = reset_member(target, settings, item.member, pool, item.mark);
        mark_free(target.conn, pool.manifest.instance());
        synced.outcome = SyncedMember::Outcome::reset;
        synced.detail = describe(result);
    } catch (const Error& e) {
        record_failure(synced, e, true);
    }
}

std::string read_to_end(int fd) {
    std::string out;
    char buffer[4096];
    for (;;) {
        auto n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return out;
        out.append(buffer, static_cast<std::size_t>(n));
    }
}

// How many members the server can reset at once. A full reset holds a lock
// on every object it drops and on every object it creates until its commit:
// about twice the lockable objects of a member at the snapshot (15,600 locks
// for 7,970 objects, measured on the ERP-scale bench; a member still
// empty creates at least a table, its indexes, TOAST table and index and
// golden cache copy for each table of the snapshot). The shared lock table,
// shared by the whole server, holds about 1.5 times its nominal slots; past
// that, resets fail with "out of shared memory".
std::size_t members_at_once(pg::Connection& conn, const snapshot::Manifest& manifest,
                            const std::vector<ToReset>& to_reset) {
    long long objects =
        8 * static_cast<long long>(manifest.tables.size()) + 2 * static_cast<long long>(manifest.sequences.size()) + 50;
    for (const auto& item : to_reset) objects = std::max(objects, item.objects);
    long long per_member = 2 * objects;
    // Less what the server's other sessions hold now.
    long long room =
        safety::lock_table_slots(conn) * 3 / 2 - conn.query_integer("SELECT count(*) FROM pg_catalog.pg_locks");
    auto fits = static_cast<std::size_t>(std::max(1LL, room / per_member));
    if (fits < to_reset.size()) {
        log::info("pool sync: the server's lock table takes {} of the {} member resets at once (about {} locks "
                  "each, the table about {}); raise max_locks_per_transaction to reset more at once",
                  fits, to_reset.size(), per_member, room);
    }
    return std::min(fits, to_reset.size());
}

// Every member of `items` at once, a child each, the snapshot's files read once.
void reset_together(const std::vector<ToReset>& items, const MemberProcess& member_process, const PoolSnapshot& pool,
                    std::vector<SyncedMember>& members) {
    std::vector<std::unique_ptr<StreamingChild>> children;
    std::vector<int> sinks;
    for (const auto& item : items) {
        children.push_back(
            std::make_unique<StreamingChild>(member_process(item.member.number), "", StreamingChild::Stream::duplex));
        sinks.push_back(children.back()->stdin_fd());
    }
    fan_out(pool.directory, pool.manifest, sinks, [&](std::size_t i, const std::string& why) {
        log::detail("pool sync: {} stopped taking rows: {}", items[i].member.display(), why);
    });
    for (std::size_t i = 0; i < items.size(); ++i) {
        auto& synced = members[items[i].slot];
        children[i]->close_stdin();
        auto line = read_to_end(children[i]->stdout_fd());
        try {
            children[i]->finish();
            synced.outcome = SyncedMember::Outcome::reset;
            synced.detail = line.substr(0, line.find_last_not_of('\n') + 1);
        } catch (const Error& e) {
            record_failure(synced, e, true);
        }
    }
}

}  // namespace

int SyncResult::failed() const {
    return static_cast<int>(std::count_if(members.begin(), members.end(), [](const SyncedMember& m) {
        return m.outcome == SyncedMember::Outcome::failed;
    }));
}

SyncResult sync_pool(const config::Settings& settings, const MemberProcess& member_process) {
    auto pool = load_pool_snapshot(settings);
    SyncResult result{pool.record.snapshot, {}};
    std::vector<ToReset> to_reset;
    std::map<std::string, int> numbers_by_mark;
    for (const auto& member : members_of(settings)) {
        interrupt::throw_if_requested();
        SyncedMember synced{member.number, member.database(), SyncedMember::Outcome::already, "", false};
        try {
            if (auto item = prepare(settings, member, pool, synced, numbers_by_mark)) {
                item->slot = result.members.size();
                to_reset.push_back(std::move(*item));
            }
        } catch (const Error& e) {
            record_failure(synced, e, false);
        }
        result.members.push_back(std::move(synced));
    }
    std::size_t at_once = 1;
    if (to_reset.size() >= 2 && member_process) {
        auto conn = connect(to_reset.front().member, "pool sync");
        at_once = members_at_once(conn, pool.manifest, to_reset);
    }
    if (at_once >= 2) {
        for (std::size_t first = 0; first < to_reset.size(); first += at_once) {
            interrupt::throw_if_requested();
            auto last = std::min(first + at_once, to_reset.size());
            reset_together({to_reset.begin() + static_cast<std::ptrdiff_t>(first),
                            to_reset.begin() + static_cast<std::ptrdiff_t>(last)},
                           member_process, pool, result.members);
        }
        // Other sessions share the lock table: a batch may still run out of
        // it ("out of shared memory"). What failed in one is tried alone.
        for (const auto& item : to_reset) {
            auto& synced = result.members[item.slot];
            if (synced.outcome != SyncedMember::Outcome::failed) continue;
            interrupt::throw_if_requested();
            log::info("pool sync: {} again, alone (together with others: {})", item.member.display(), synced.detail);
            reset_here(settings, item, pool, synced);
        }
    } else {
        for (const auto& item : to_reset) {
            interrupt::throw_if_requested();
            reset_here(settings, item, pool, result.members[item.slot]);
        }
    }
    return result;
}

std::string sync_member_from_stream(const config::Settings& settings, int number, int fd) {
    auto members = members_of(settings);
    if (number < 1 || static_cast<std::size_t>(number) > members.size())
        throw usage_error(fmt::format("the pool has no member {}", number));
    const auto& member = members[static_cast<std::size_t>(number - 1)];
    auto pool = load_pool_snapshot(settings);
    auto target = open_member(settings, member, "pool sync");
    auto row = read_lease(target.conn);
    if (!row || row->state != "dirty") {
        throw Error(ExitCode::refused, fmt::format("{} was not taken for this sync (it is {})", member.display(),
                                                   row ? row->state : "without a lease row"));
    }
    auto mark = admit(target.conn, member, pool, NewMembers::refuse);
    auto result = reset_member(target, settings, member, pool, mark, table_reader_from(fd));
    mark_free(target.conn, pool.manifest.instance());
    return describe(result);
}

}  // namespace sandboxctl::pool
