#pragma once
// `pool sync`: every member brought to the pool's snapshot, one at a time:
// an empty new member is taken into the pool (marked, listed in the record),
// a member at an older snapshot is reset (full, as its schema may differ), a
// member at the snapshot with nothing written is left as it is, and a member
// whose lease is held is never touched (said so). Each member is turned
// dirty before its reset and free after its commit: a sync killed halfway
// leaves each member at the snapshot or as it was, and the one it was
// resetting unlendable until the next sync.
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace sandboxctl::pool {

struct SyncedMember {
    int number = 0;
    std::string database;
    enum class Outcome { reset, already, held, failed } outcome = Outcome::already;
    std::string detail;  // the reset, the holder and expiry, or the error
    bool taken = false;  // a new member, marked and listed by this sync
};

struct SyncResult {
    std::string snapshot;
    std::vector<SyncedMember> members;
    int failed() const;
};

SyncResult sync_pool(const config::Settings& settings);

}  // namespace sandboxctl::pool
