#pragma once
// What sandboxctl records in its state directory of the databases it
// refreshed (the sandbox's mark, in the refresh record) and refreshed from
// (prod): proof that does not depend on anything the sandbox's login can
// change. A record counts only for the server it was made on: the same
// system identifier and database oid (the file's name, state_path.hpp) and
// the same host and port as libpq resolved them, since a physical copy of a
// cluster (pg_basebackup) shares the identifier and the oids.
#include <filesystem>
#include <optional>

#include "pg/connection.hpp"
#include "safety/sandbox_mark.hpp"

namespace sandboxctl::safety {

// "host:port" of the server `conn` reached, as libpq resolved it.
std::string server_address(pg::Connection& conn);

// The mark named by the record of the last refresh of the database `conn`
// is connected to, if that record exists and was made on this server.
std::optional<SandboxMark> recorded_mark(pg::Connection& conn, const std::filesystem::path& state_dir);

// Records that the database `source` is connected to was refreshed from (it
// is prod); best effort, like the refresh record.
void record_source(pg::Connection& source, const std::filesystem::path& state_dir);

// Whether the database `conn` is connected to was the source of a refresh
// on this server: then it is prod, and sandboxctl never writes it.
bool recorded_as_source(pg::Connection& conn, const std::filesystem::path& state_dir);

}  // namespace sandboxctl::safety
