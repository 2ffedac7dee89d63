#pragma once
// A destination behind a remote shell: entries are re-archived under their
// partial names and unpacked by the remote tar; a script run afterwards
// renames them into place and applies deletions and attributes.
#include <memory>

#include "core/temp_dir.hpp"
#include "sync/destination.hpp"
#include "sync/sync_options.hpp"

namespace sandboxctl::sync {

// `work` holds the scripts sent to the remote shell.
std::unique_ptr<Destination> make_remote_destination(const SyncOptions& options, const TempDir& work);

}  // namespace sandboxctl::sync
