#pragma once
// The content hash of a masked table, computed here rather than by the
// servers: prod's rows go through the same RowMasker the refresh used, the
// sandbox's rows as they are, and both are hashed the same way (each row's
// decoded fields under SHA-256, summed, so row order does not matter). Equal
// hashes mean the sandbox holds exactly what the rules give for prod's rows.
// Generated columns are left out on both sides: the sandbox computes them
// from masked values.
#include "catalog/catalog.hpp"
#include "masking/keyed_hash.hpp"
#include "masking/policy.hpp"
#include "pg/connection.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::verify {

// `mask` and `hash` given: prod's side, masked; both null: the sandbox's.
TableHash hash_masked_table(pg::Connection& conn, const catalog::Relation& table, const masking::TableMask* mask,
                            const masking::KeyedHash* hash);

}  // namespace sandboxctl::verify
