#pragma once
// What "the sandbox equals prod" means, measured independently of the code
// under test: per-table row counts and content hashes, sequence states, and
// the schema text (pg_dump, owners removed) of the objects each side's owner
// role owns.
#include <map>
#include <string>
#include <vector>

#include "harness/cluster.hpp"

namespace sandboxctl::test {

struct DatabaseState {
    std::map<std::string, std::string> tables;     // name -> "rows:digest"
    std::map<std::string, std::string> sequences;  // name -> "last_value/is_called"
    std::string schema;                            // normalized pg_dump --schema-only text

    bool operator==(const DatabaseState&) const = default;
};

// Captures the objects owned by `owner` in `database`.
DatabaseState capture_state(const Cluster& cluster, const std::string& database, const std::string& owner);
// The same, but for the schema: `known_schema`, which the caller knows the
// database still has (it wrote rows since it captured it, no DDL). The
// fault suites take a state before every fault; a pg_dump each time cost
// them more than the faults. What a run leaves is always captured whole.
DatabaseState capture_rows(const Cluster& cluster, const std::string& database, const std::string& owner,
                           std::string known_schema);

// Objects in `database` (outside system schemas) not owned by `owner`.
std::vector<std::string> foreign_owned_objects(const Cluster& cluster, const std::string& database,
                                               const std::string& owner);

// Human-readable differences, for assertion messages.
std::string describe_differences(const DatabaseState& expected, const DatabaseState& actual);

}  // namespace sandboxctl::test
