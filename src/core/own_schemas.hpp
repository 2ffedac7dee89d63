#pragma once
// The schemas sandboxctl creates in a sandbox: change tracking and the golden
// cache. Every module that must tell them from the application's names them
// through these constants (names only: the SQL that uses them lives with
// its layer, see snapshot/own_schema_sql.hpp).
namespace sandboxctl::own_schemas {

inline constexpr const char* tracking = "sandboxctl";
inline constexpr const char* cache = "sandboxctl_golden";

}  // namespace sandboxctl::own_schemas
