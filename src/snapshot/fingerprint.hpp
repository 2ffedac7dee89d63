#pragma once
// A fingerprint of the sandbox's schema, cheap enough to compute on every
// reset (one catalog query): relations, columns, defaults, constraints,
// indexes, triggers, functions, types, views and policies, without oids, so a
// restored copy of the same schema has the same fingerprint. sandboxctl's own
// schemas and tracking triggers are left out.
#include <string>

#include "pg/connection.hpp"

namespace sandboxctl::snapshot {

inline constexpr const char* tracking_schema = "sandboxctl";
inline constexpr const char* cache_schema = "sandboxctl_golden";

std::string schema_fingerprint(pg::Connection& conn);

}  // namespace sandboxctl::snapshot
