#pragma once
// A fingerprint of the sandbox's schema, cheap enough to compute on every
// reset (one catalog query): relations, columns, defaults, constraints,
// indexes, triggers, functions, types, views and policies, without oids, so a
// restored copy of the same schema has the same fingerprint. sandboxctl's own
// schemas and tracking triggers are left out.
#include <string>

#include "pg/connection.hpp"

namespace sandboxctl::snapshot {

// Must run inside a transaction (it sets search_path locally). The result
// starts with fingerprint_format: a fingerprint of another format (an older
// snapshot's) cannot be compared with it.
inline constexpr const char* fingerprint_format = "2:";
std::string schema_fingerprint(pg::Connection& conn);
bool has_current_format(const std::string& fingerprint);

// A change detector for the catalogs the fingerprint reads: row counts and
// sums of row versions (xmin). Any DDL replaces catalog rows and changes it;
// it costs a few milliseconds where the fingerprint costs tens, so a reset
// computes the fingerprint only when the signal moved.
std::string catalog_signal(pg::Connection& conn);

}  // namespace sandboxctl::snapshot
