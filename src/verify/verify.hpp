#pragma once
// `sandboxctl verify`: compares the source (at one snapshot) with the sandbox,
// table by table (row count and content hash) and sequence by sequence.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "masking/policy.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::verify {

struct TableResult {
    std::string name;
    std::optional<TableHash> source;
    std::optional<TableHash> target;  // nullopt: missing in the sandbox
};

struct SequenceResult {
    std::string name;
    std::string source;  // "last_value/is_called"
    std::string target;
};

struct VerifyResult {
    std::vector<TableResult> tables;
    std::vector<SequenceResult> sequences;
    std::vector<std::string> differences;  // one line each, empty when equal
    std::vector<std::string> not_compared;
    std::vector<std::string> masked;  // tables compared with prod's rows masked
};

// `masking_rules`: the user's and the profiles' (profiles::masking_rules):
// a masked table is compared with prod's rows masked the same way.
VerifyResult run_verify(const config::Settings& settings, const std::vector<masking::Rule>& masking_rules);
void print_text(const VerifyResult& result, std::ostream& out);
nlohmann::json to_json(const VerifyResult& result);

}  // namespace sandboxctl::verify
