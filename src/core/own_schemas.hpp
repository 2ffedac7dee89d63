#pragma once
// The schemas sandboxctl creates in a sandbox: change tracking, the golden
// cache and a pool member's lease. Every module that must tell them from the application's names them
// through these constants (names only: the SQL that uses them lives with
// its layer, see snapshot/own_schema_sql.hpp).
namespace sandboxctl::own_schemas {

inline constexpr const char* tracking = "sandboxctl";
inline constexpr const char* cache = "sandboxctl_golden";
// A pool member's lease (pool/lease_table.hpp): owned by the login, like
// the cache, so that a full reset keeps it.
inline constexpr const char* pool = "sandboxctl_pool";

}  // namespace sandboxctl::own_schemas
