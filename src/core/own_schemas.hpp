#pragma once
// The schemas sandboxctl creates in a sandbox: change tracking and the golden
// cache. Every module that must tell them from the application's names them
// through these constants.
#include <string>
#include <string_view>

namespace sandboxctl::own_schemas {

inline constexpr const char* tracking = "sandboxctl";
inline constexpr const char* cache = "sandboxctl_golden";

// `sql` with {tracking} and {cache} replaced by the schemas' names; any other
// brace must be doubled ({{ }}), as in fmt.
std::string in_sql(std::string_view sql);

}  // namespace sandboxctl::own_schemas
