#pragma once
// `pool sync`: every member brought to the pool's snapshot. An empty new
// member is taken into the pool (marked, listed in the record), a member at
// the snapshot with nothing written is left as it is, and a member whose
// lease is held is never touched (said so); every other one is turned dirty
// (unlendable), reset, and freed after its commit. Two or more members to
// reset are reset at the same time, each by a child process, reading the
// snapshot's files once for all of them (pool/row_stream.hpp). A sync
// killed halfway leaves each member at the snapshot or as it was, and the
// ones it was resetting unlendable until the next sync.
#include <functional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "core/process.hpp"

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

// The child that resets member K reading the rows from its standard input
// (`sandboxctl pool sync-member --member K`, with the options this run was
// given): the command line knows how to start it.
using MemberProcess = std::function<ProcessSpec(int member_number)>;

// Without `member_process`, or with one member to reset, the members are
// reset one after the other in this process.
SyncResult sync_pool(const config::Settings& settings, const MemberProcess& member_process = {});

// The child's side: resets member `number`, which its parent turned dirty,
// taking the tables' rows from `fd` (when the reset is a full one), and
// frees it. Returns the reset's one-line description.
std::string sync_member_from_stream(const config::Settings& settings, int number, int fd);

}  // namespace sandboxctl::pool
