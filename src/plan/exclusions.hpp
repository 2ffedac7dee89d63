#pragma once
// The objects a plan leaves out, as `plan` and the refresh report show them
// (text and JSON).
#include <nlohmann/json.hpp>
#include <ostream>
#include <string_view>
#include <vector>

#include "plan/copy_plan.hpp"

namespace sandboxctl::plan {

// [{"kind", "name", "owner", "reason"}, ...]
nlohmann::json exclusions_json(const std::vector<Exclusion>& list);

struct ExclusionLayout {
    int name_width = 40;             // the name column is padded to this
    bool blank_line_before = false;  // a report section, set off from the one above
};

// "title (n):" and one line per exclusion (kind, name, reason); nothing for
// an empty list.
void print_exclusions(std::ostream& out, std::string_view title, const std::vector<Exclusion>& list,
                      ExclusionLayout layout);

}  // namespace sandboxctl::plan
