#pragma once
// What a sandbox's rows were masked with, as one value: the rules (table,
// column, transformer, the rows left alone) and the key, which it names by
// a keyed hash of a constant (never the key). Equal fingerprints mean equal
// masked values for equal prod rows. safety/sandbox_mark.hpp keeps it with
// the sandbox, snapshots in their manifest.
#include <string>
#include <vector>

#include "masking/keyed_hash.hpp"
#include "masking/policy.hpp"

namespace sandboxctl::masking {

// 64 hex digits; "" when there is no rule.
std::string fingerprint(const std::vector<Rule>& rules, const KeyedHash& hash);

}  // namespace sandboxctl::masking
