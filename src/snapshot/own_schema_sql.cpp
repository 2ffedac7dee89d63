#include "snapshot/own_schema_sql.hpp"

#include <fmt/format.h>

#include "core/own_schemas.hpp"

namespace sandboxctl::snapshot {

std::string in_own_schemas(std::string_view sql) {
    return fmt::format(fmt::runtime(sql), fmt::arg("tracking", own_schemas::tracking),
                       fmt::arg("cache", own_schemas::cache));
}

}  // namespace sandboxctl::snapshot
