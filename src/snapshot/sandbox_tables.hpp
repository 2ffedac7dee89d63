#pragma once
// The sandbox's own tables as snapshot create and reset see them: what the
// sandbox role owns, minus sandboxctl's tracking and cache schemas, read and
// written in transactions as that role.
#include <chrono>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "pg/connection.hpp"
#include "plan/copy_plan.hpp"

namespace sandboxctl::snapshot {

// The sandbox's own relations, minus sandboxctl's tracking and cache schemas.
plan::CopyPlan sandbox_plan(const catalog::SourceCatalog& catalog, const std::string& role);

// The tables that get tracking triggers: row tables and partitioned parents.
std::vector<const catalog::Relation*> trackable(const plan::CopyPlan& plan);

// `begin` ("BEGIN", "BEGIN READ ONLY", ...), then the run's lock timeout and
// SET LOCAL ROLE `role`, so that what the transaction creates is the role's.
void begin_as(pg::Connection& conn, const std::string& role, const char* begin, std::chrono::milliseconds lock_timeout);

}  // namespace sandboxctl::snapshot
