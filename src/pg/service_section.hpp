#pragma once
// A libpq service file section that reaches what an open session reaches:
// the same server, database and user, with the password and the TLS and GSS
// settings libpq used for it (from the conninfo, a service file, a password
// file or the environment). For handing one database's credentials to
// another process without a command line or a log in between.
#include <string>
#include <string_view>

#include "pg/connection.hpp"

namespace sandboxctl::pg {

// "[NAME]\nhost=...\n...": throws a failure, naming the keyword but never
// its value, for a value a service file cannot hold (a line break, or
// surrounding blanks libpq would strip).
std::string service_section(const Connection& session, std::string_view name);

}  // namespace sandboxctl::pg
