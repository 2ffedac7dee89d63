#pragma once
// What one sync is asked to do (the command line or one [[files.pair]]).
#include <optional>
#include <utility>

#include "sync/location.hpp"

namespace sandboxctl::sync {

struct SyncOptions {
    Location from;
    Location to;
    bool remove_extra = false;  // --delete
    bool checksum = false;
    bool dry_run = false;
    std::optional<std::pair<unsigned, unsigned>> chown;
};

}  // namespace sandboxctl::sync
