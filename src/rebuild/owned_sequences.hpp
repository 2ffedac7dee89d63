#pragma once
// The sequences a table's columns own (serial, identity), moved past the rows
// the table holds. Rows written with explicit key values (kept rows, a copy
// whose sequence prod let fall behind) would otherwise make the next insert
// that takes a default collide with them.
#include "pg/connection.hpp"
#include "pg/sql.hpp"

namespace sandboxctl::rebuild {

// Moves every sequence a column of `table` owns past the largest value now
// in that column. A sequence already past it is left alone.
void advance_owned_sequences(pg::Connection& target, const sql::QualifiedName& table);

}  // namespace sandboxctl::rebuild
