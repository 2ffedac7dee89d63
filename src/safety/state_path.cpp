#include "safety/state_path.hpp"

#include <fmt/format.h>

namespace sandboxctl::safety {

std::filesystem::path database_state_file(pg::Connection& conn, const std::string& database,
                                          const std::filesystem::path& state_dir, const std::string& kind) {
    auto identity = conn.exec("SELECT d.oid, (SELECT system_identifier FROM pg_catalog.pg_control_system()) "
                              "FROM pg_catalog.pg_database d WHERE d.datname = $1",
                              {database});
    if (identity.rows() != 1) throw failure("database \"" + database + "\" does not exist");
    return state_dir / kind / fmt::format("{}-{}.json", identity.get(0, 1), identity.get(0, 0));
}

}  // namespace sandboxctl::safety
