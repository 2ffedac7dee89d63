#pragma once
// `release LEASE`: the member reset to the pool's snapshot (a delta reset,
// as between two BDD scenarios), then free. The lease stays held until the
// reset committed: a release killed halfway leaves the member leased, at the
// snapshot or as it was, and can be run again.
#include <string>

#include "config/settings.hpp"
#include "reset/reset.hpp"

namespace sandboxctl::pool {

struct Released {
    int member = 0;
    std::string database;
    std::string holder;
    reset::ResetResult reset;
};

// Refuses (exit 3) a lease the member does not hold (released already,
// reclaimed after it expired, or never given).
Released release(const config::Settings& settings, const std::string& lease_id);

}  // namespace sandboxctl::pool
