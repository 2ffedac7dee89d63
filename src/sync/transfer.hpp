#pragma once
// The transfer: the source's tar sends the planned files and symlinks in one
// stream; each entry is checked again (the source may have changed since it
// was listed) and handed to the destination.
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "sync/destination.hpp"
#include "sync/remote_session.hpp"
#include "sync/sync_options.hpp"
#include "sync/sync_report.hpp"

namespace sandboxctl::sync {

// Sends `paths` from the source to `destination`, counting into `report`.
// A remote source is read through `session` (which this ends); a local one
// through a tar started here. `planned_bytes` is for the progress line.
void transfer(const SyncOptions& options, const std::vector<std::string>& paths, SyncReport& report,
              Destination& destination, const TempDir& work, long long planned_bytes, RemoteSession* session);

}  // namespace sandboxctl::sync
