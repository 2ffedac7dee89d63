#pragma once
// `sandboxctl mask-check`: the proof that masking did its work. For each
// masked column (every transformer but keep), no value prod holds is in the
// sandbox's column, unless the rule gives that value for some prod value
// (a made-up name may be a real customer's too). Values are compared by their keyed hash (HMAC under the
// masking key, in memory only), so nothing is printed and nothing of prod's
// is kept in the clear. Read-only on both sides.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "masking/policy.hpp"

namespace sandboxctl::verify {

struct ColumnCheck {
    std::string column;         // schema.table.column
    std::string transformer;    // as configured
    long long prod_values = 0;  // distinct non-empty prod values
    long long found = 0;        // sandbox rows that hold one of them, not as a rule's output
    bool missing = false;       // the sandbox lacks the table or column
};

struct MaskCheckResult {
    std::vector<ColumnCheck> columns;
    std::vector<std::string> uncovered;
    std::vector<std::string> skipped;
    bool leaked() const;
};

MaskCheckResult run_mask_check(const config::Settings& settings, const std::vector<masking::Rule>& masking_rules);
void print_text(const MaskCheckResult& result, std::ostream& out);
nlohmann::json to_json(const MaskCheckResult& result);

}  // namespace sandboxctl::verify
