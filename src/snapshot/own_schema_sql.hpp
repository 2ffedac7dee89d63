#pragma once
// SQL text of change tracking and the golden cache, which live in
// sandboxctl's own schemas (core/own_schemas.hpp names them).
#include <string>
#include <string_view>

namespace sandboxctl::snapshot {

// `sql` with {tracking} and {cache} replaced by the schemas' names; any other
// brace must be doubled ({{ }}), as in fmt.
std::string in_own_schemas(std::string_view sql);

}  // namespace sandboxctl::snapshot
