#pragma once
// A member's lease, in the member itself: one row of sandboxctl_pool.lease,
// owned by the login (a full reset keeps it, as it keeps the golden cache).
// The row is the only truth about the member: agents in different pods lease
// from the same pool through it, and an UPDATE that checks the state it
// changes is what makes two callers unable to hold one member.
//
// States: free (at the snapshot `snapshot`, lendable), leased (lent until
// `expires`), dirty (taken for a reset, or never brought to the snapshot).
// A run that resets the member first turns it dirty, so that a run killed
// during the reset leaves it unlendable, never lendable and half-done.
#include <chrono>
#include <optional>
#include <string>

#include "pg/connection.hpp"

namespace sandboxctl::pool {

struct LeaseRow {
    std::string state;     // "free", "leased", "dirty"
    std::string snapshot;  // the snapshot instance (name@id) it was last brought to; "" if none
    std::string holder;
    std::string since;    // ISO 8601, UTC; "" unless leased
    std::string expires;  // ISO 8601, UTC; "" unless leased
    bool expired = false;
    std::string lease_hash;
};

// Creates the schema, table and its one row (dirty) if missing, as the login.
void create_lease_table(pg::Connection& conn);
// The row; nullopt when the member never had one (never synced).
std::optional<LeaseRow> read_lease(pg::Connection& conn);

// free → leased, if the member is free and its change log is empty (nothing
// written since its reset to the snapshot it holds), in one statement that
// does not wait: a member another caller is claiming at that moment is
// passed over. Returns the expiry, or nullopt (a free member whose log is
// not empty is turned dirty on the way).
std::optional<std::string> claim(pg::Connection& conn, const std::string& lease_hash, const std::string& holder,
                                 std::chrono::milliseconds ttl);
// → dirty, only if the row is still as `seen` (state and lease): the caller
// may reset the member. False when another caller changed it first.
bool take_for_reset(pg::Connection& conn, const LeaseRow& seen);
// → free at `instance`, after the reset committed.
void mark_free(pg::Connection& conn, const std::string& instance);
// leased by `lease_hash` → free at `instance`, after the release's reset
// committed; false when the lease is no longer there (reclaimed meanwhile).
bool free_if_leased(pg::Connection& conn, const std::string& lease_hash, const std::string& instance);

}  // namespace sandboxctl::pool
