#pragma once
// An order-independent content hash of a table: the md5 of each row's text form,
// summed as two 64-bit halves. Equal multisets of rows give equal hashes,
// whatever the physical order; the server streams the rows (no sort, constant
// memory).
#include <string>

#include "pg/connection.hpp"

namespace sandboxctl::verify {

struct TableHash {
    long long rows = 0;
    std::string digest;

    bool operator==(const TableHash&) const = default;
};

// `qualified_table` is an already quoted "schema"."name".
TableHash hash_table(pg::Connection& conn, const std::string& qualified_table);

}  // namespace sandboxctl::verify
