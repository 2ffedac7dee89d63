#pragma once
// A destination on this machine. Each file is written under its partial
// name with its size, mode, owner and mtime, and renamed into place only
// after its data is on disk (in batches, see local_destination.cpp); the
// renames are flushed at the end. A crash leaves old files or whole new ones
// under the final names, and partial names the next run removes.
#include <filesystem>
#include <memory>

#include "sync/destination.hpp"
#include "sync/sync_options.hpp"

namespace sandboxctl::sync {

std::unique_ptr<Destination> make_local_destination(const SyncOptions& options);

}  // namespace sandboxctl::sync
