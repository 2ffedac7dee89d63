#pragma once
// Local state about a database (crash records, refresh history) lives under the
// state directory in a file named after the server's system identifier and the
// database oid, so two sandboxes on one machine never share a file.
#include <filesystem>
#include <string>

#include "pg/connection.hpp"

namespace sandboxctl::safety {

// The kind of the record of a database's last refresh (refresh/refresh.cpp
// writes it; the sandbox mark reads the mark it names).
inline constexpr const char* refresh_record_kind = "refreshes";

// state_dir/<kind>/<system identifier>-<database oid>.json; `conn` may be
// connected to any database of the server.
std::filesystem::path database_state_file(pg::Connection& conn, const std::string& database,
                                          const std::filesystem::path& state_dir, const std::string& kind);

}  // namespace sandboxctl::safety
