// Must compile (ctest sql_format_takes_an_identifier): the twin of
// sql_format_with_string.cpp with the name quoted, which proves that file
// fails for its std::string and not for its compiler, flags or includes.
#include <string>

#include "pg/sql.hpp"

sandboxctl::sql::Fragment select_from(const std::string& table) {
    return sandboxctl::sql::format("SELECT count(*) FROM {}", sandboxctl::sql::Identifier(table));
}
