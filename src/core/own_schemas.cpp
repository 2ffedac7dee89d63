#include "core/own_schemas.hpp"

#include <fmt/format.h>

namespace sandboxctl::own_schemas {

std::string in_sql(std::string_view sql) {
    return fmt::format(fmt::runtime(sql), fmt::arg("tracking", tracking), fmt::arg("cache", cache));
}

}  // namespace sandboxctl::own_schemas
