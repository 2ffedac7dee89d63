#pragma once
// Reading one small file (an application's configuration file, say)
// through the same transports as sync-files: a local path, or a path behind
// ssh, kubectl exec or an exec: command. The content may be secret: it goes
// only to the caller, never to a log, an error or a child's argv.
#include <cstddef>
#include <string>
#include <string_view>

#include "sync/location.hpp"

namespace sandboxctl::sync {

// The whole content of the file at `location` (ssh locations resolved first,
// see resolve_location). Throws failure "could not read WHAT \"LOCATION\": reason"
// when it cannot be read or holds more than `max_bytes`, and a usage error when a
// local path names anything but a regular file (a FIFO, device, directory or
// socket), at once rather than blocking on it.
std::string read_small_file(const Location& location, std::size_t max_bytes, std::string_view what);

}  // namespace sandboxctl::sync
