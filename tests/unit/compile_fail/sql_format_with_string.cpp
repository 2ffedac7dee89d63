// Must not compile (ctest sql_format_refuses_a_string): a std::string is
// not an SQL piece, so a name pasted in unquoted is a compile error.
// sql_format_with_identifier.cpp is the same with the name quoted.
#include <string>

#include "pg/sql.hpp"

sandboxctl::sql::Fragment select_from(const std::string& table) {
    return sandboxctl::sql::format("SELECT count(*) FROM {}", table);
}
