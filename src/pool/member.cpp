#include "pool/member.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace sandboxctl::pool {

std::string Member::display() const { return fmt::format("member {} ({})", number, database()); }

std::string Member::database() const { return info.get("dbname").value_or(info.describe()); }

const config::PoolSettings& require_pool(const config::Settings& settings) {
    if (!settings.pool) {
        throw usage_error("no [pool] in the configuration",
                          "Add [pool] with targets (the member databases) and snapshot; see \"sandboxctl pool "
                          "--help\".");
    }
    return *settings.pool;
}

std::vector<Member> members_of(const config::Settings& settings) {
    const auto& pool = require_pool(settings);
    std::vector<Member> members;
    int number = 0;
    for (const auto& target : pool.targets) {
        ++number;
        members.push_back({number, pg::ConnInfo::parse(target, fmt::format("pool member {}", number))});
    }
    return members;
}

config::Settings member_settings(const config::Settings& settings, const Member& member) {
    config::Settings out = settings;
    out.target = require_pool(settings).targets.at(static_cast<std::size_t>(member.number - 1));
    out.target_role.reset();
    out.hook_before.clear();
    out.hook_after.clear();
    out.kubernetes.reset();
    return out;
}

pg::Connection connect(const Member& member, std::string_view purpose) {
    return pg::Connection::open(member.info, purpose);
}

}  // namespace sandboxctl::pool
