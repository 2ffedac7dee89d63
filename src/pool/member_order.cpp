#include "pool/member_order.hpp"

#include <algorithm>
#include <array>
#include <numeric>
#include <random>
#include <set>
#include <string>

#include "core/error.hpp"
#include "core/log.hpp"

namespace sandboxctl::pool {
namespace {

// Members whose conninfos reach the same server the same way: what one
// session sees of the server's databases holds for both. (Other spellings
// of one server only lose the hint.)
bool same_server(const pg::ConnInfo& a, const pg::ConnInfo& b) {
    constexpr std::array<const char*, 4> keywords = {"host", "hostaddr", "port", "service"};
    return std::all_of(keywords.begin(), keywords.end(),
                       [&](const char* keyword) { return a.get(keyword) == b.get(keyword); });
}

std::set<std::string> databases_with_sessions(pg::Connection& conn) {
    // pg_stat_activity shows every session's database to every role.
    auto r = conn.exec("SELECT DISTINCT datname FROM pg_catalog.pg_stat_activity WHERE datname IS NOT NULL AND pid <> "
                       "pg_catalog.pg_backend_pid()");
    std::set<std::string> names;
    for (int row = 0; row < r.rows(); ++row) names.insert(r.get(row, 0));
    return names;
}

}  // namespace

MemberOrder::MemberOrder(const std::vector<Member>& members) : members_(members), order_(members.size()) {
    std::iota(order_.begin(), order_.end(), std::size_t{0});
    std::shuffle(order_.begin(), order_.end(), std::mt19937_64(std::random_device{}()));
}

const Member* MemberOrder::next() { return tried_ < order_.size() ? &members_[order_[tried_++]] : nullptr; }

void MemberOrder::put_idle_first(pg::Connection& conn, const Member& connected) {
    auto rest = order_.begin() + static_cast<std::ptrdiff_t>(tried_);
    // Only a member named by its database on the same server can be seen.
    auto seen_from_here = [&](std::size_t index) {
        const auto& member = members_[index];
        return member.info.get("dbname") && same_server(member.info, connected.info);
    };
    // Nothing to reorder: the query would be a round trip for nothing.
    if (order_.end() - rest < 2 || std::none_of(rest, order_.end(), seen_from_here)) return;
    std::set<std::string> busy;
    try {
        busy = databases_with_sessions(conn);
    } catch (const Error& e) {
        log::detail("lease: no hint from {}: {}", connected.display(), e.what());
        return;
    }
    std::stable_partition(rest, order_.end(), [&](std::size_t index) {
        return seen_from_here(index) && !busy.contains(*members_[index].info.get("dbname"));
    });
}

}  // namespace sandboxctl::pool
