#pragma once
// `pool sync` reads the snapshot's files once for every member it resets:
// the members are reset at the same time, each by a child sandboxctl
// (`pool sync-member`), and this process decompresses each table's file once
// and sends the bytes to every child through its standard input, table by
// table in the manifest's order (the order a full reset loads them in).
//
// Frames: a table's index and a length (4 bytes each, little-endian), then
// that many bytes; a length of 0 ends the table. A child that stops reading
// (it found a delta reset enough, or failed) is dropped; a parent that stops
// sending makes every child's reset fail and roll back.
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "snapshot/manifest.hpp"
#include "snapshot/snapshot_rows.hpp"

namespace sandboxctl::pool {

// Sends every table of `manifest` (its files under `dir`) to each descriptor
// of `sinks` that still takes them; `dropped` hears which one stopped, and why.
void fan_out(const std::filesystem::path& dir, const snapshot::Manifest& manifest, const std::vector<int>& sinks,
             const std::function<void(std::size_t sink, const std::string& why)>& dropped);

// The child's side: the tables' bytes as fan_out sends them on `fd`.
snapshot::TableReader table_reader_from(int fd);

}  // namespace sandboxctl::pool
