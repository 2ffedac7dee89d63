#pragma once
// A pool member: one of [pool] targets, a sandbox database of its own that
// `pool sync` brings to the pool's snapshot and `lease` lends out.
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "pg/connection.hpp"
#include "pg/conninfo.hpp"

namespace sandboxctl::pool {

struct Member {
    int number = 0;  // 1-based, in the order of [pool] targets
    pg::ConnInfo info;
    std::string display() const;  // "member 2 (erp-sandbox-2)"
    // Its conninfo's dbname, else how the conninfo reaches it ("service=pool-2");
    // a session's own database name (PQdb) is the one to show once connected.
    std::string database() const;
};

// Throws a usage error without a [pool] section, or when a target does not
// parse or is the sandbox itself.
const config::PoolSettings& require_pool(const config::Settings& settings);
std::vector<Member> members_of(const config::Settings& settings);

// The settings a member is reset with: the member as the target, its
// database's owner as the target role, and neither the hooks nor the
// [kubernetes] workloads, which stop the sandbox's application, not a member's.
config::Settings member_settings(const config::Settings& settings, const Member& member);

pg::Connection connect(const Member& member, std::string_view purpose);

}  // namespace sandboxctl::pool
