#pragma once
// `lease`: lends the caller a member at the pool's snapshot, until it is
// released or its lease expires.
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace sandboxctl::pool {

struct LeaseRequest {
    std::string holder;
    std::optional<std::chrono::milliseconds> ttl;  // default: [pool] lease_ttl
    std::chrono::milliseconds wait{0};             // how long to wait for a member to come free
    bool credentials = false;                      // fill Lease::service_section
};

struct Lease {
    std::string id;
    int member = 0;
    std::string database;
    std::string conninfo;  // the member's, without a password
    std::string holder;
    std::string expires;  // ISO 8601, UTC
    // The expiry on this process's steady clock: the TTL from before the
    // claim was sent, so never later than the server's.
    std::chrono::steady_clock::time_point expires_here;
    // Members whose expired lease this call reclaimed first (reset and freed).
    std::vector<std::string> reclaimed;
    // With LeaseRequest::credentials: a service file section "[lease]" that
    // reaches the member as the lease's session did, password included (for
    // a file of mode 0600, nothing else).
    std::string service_section;
};

// Tries the free members (in a random order, so that concurrent callers
// spread, members seen without sessions first: pool/member_order.hpp), each
// with one UPDATE that only a free member with nothing written
// passes; with none, reclaims expired leases, then waits (up to `wait`) or
// refuses with exit 3, "pool exhausted", saying what each member is doing.
// A free member holds the pool's snapshot as it was when the member was last
// reset: after the snapshot is taken again, until `pool sync` brings the
// free members forward, they are lent as they are (a release then resets
// the member to the new snapshot).
Lease lease(const config::Settings& settings, const LeaseRequest& request);

}  // namespace sandboxctl::pool
