#pragma once
// What every pool command does to a member before and around a reset: check
// that it belongs to the pool (its mark is in the pool's record; `pool sync`
// adds an empty, unmarked one), then reset it to the pool's snapshot through
// `reset` (delta when it can), without stopping the sandbox's application.
#include <string>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "pg/connection.hpp"
#include "plan/session_setup.hpp"
#include "pool/member.hpp"
#include "pool/record.hpp"
#include "reset/reset.hpp"
#include "snapshot/manifest.hpp"

namespace sandboxctl::pool {

// The pool's snapshot and its record, loaded once per command.
struct PoolSnapshot {
    std::filesystem::path store_root;
    std::filesystem::path directory;  // the snapshot's
    snapshot::Manifest manifest;
    Record record;
};
PoolSnapshot load_pool_snapshot(const config::Settings& settings);

enum class NewMembers { refuse, take };

// The member's mark, once it is known to belong to the pool. Refuses (exit 3)
// the sandbox the snapshot is taken of, a database marked by anything else,
// and an unmarked one that holds objects; with NewMembers::take, an empty,
// unmarked database is marked and listed in the record.
std::string admit(pg::Connection& conn, const Member& member, PoolSnapshot& pool, NewMembers new_members);

// Whether `error` says another run holds the member right now (its run lock,
// or its exclusive access: the member refuses connections meanwhile): a pool
// command then leaves the member to that run.
bool busy(const Error& error);

// Resets the member to the pool's snapshot (exclusive access) on a session
// the caller opened with open_member, which it may use before and after:
// the reset ends the member's other sessions, not this one.
reset::ResetResult reset_member(plan::Target& target, const config::Settings& settings, const Member& member,
                                const PoolSnapshot& pool, const std::string& mark,
                                const snapshot::TableReader& table_reader = {});
// Opens the member as `reset` opens the sandbox, first repairing what a
// killed run left (the member refusing connections).
plan::Target open_member(const config::Settings& settings, const Member& member, std::string_view purpose);

// The tables written since the member's last reset, from its change log
// (none when change tracking is not installed).
std::vector<std::string> tables_written(pg::Connection& conn);

}  // namespace sandboxctl::pool
