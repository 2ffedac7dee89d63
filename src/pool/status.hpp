#pragma once
// `pool status` and `pool reap`: what each member is doing, and the members
// whose lease expired (or whose reset a killed run left undone) reset and
// freed.
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "pool/lease_table.hpp"
#include "pool/member_reset.hpp"

namespace sandboxctl::pool {

struct MemberStatus {
    int number = 0;
    std::string database;
    std::optional<LeaseRow> lease;     // nullopt: never synced
    bool current = false;              // free at the snapshot's current instance
    std::vector<std::string> written;  // tables written since its reset
    std::string problem;               // could not be read: why
};

std::vector<MemberStatus> pool_status(const config::Settings& settings, const PoolSnapshot& pool);

struct Reclaimed {
    int number = 0;
    std::string database;
    std::string holder;   // whose lease expired; "" for a member a killed run left dirty
    std::string outcome;  // "delta reset ...", or the error
    bool failed = false;
    // "lease of \"agent-1\" expired", "dirty (...)", or "unreachable"
    std::string why = "unreachable";
};

// Resets and frees every member whose lease expired, and every listed member
// left dirty by a killed run. A member another run is resetting is skipped.
std::vector<Reclaimed> reap(const config::Settings& settings, PoolSnapshot& pool);

// One line of a reset's outcome: "delta reset, 3 tables, 12 rows, in 84 ms".
std::string describe(const reset::ResetResult& result);

}  // namespace sandboxctl::pool
