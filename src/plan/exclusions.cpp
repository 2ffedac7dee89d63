#include "plan/exclusions.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace sandboxctl::plan {

nlohmann::json exclusions_json(const std::vector<Exclusion>& list) {
    auto out = nlohmann::json::array();
    for (const auto& e : list)
        out.push_back({{"kind", e.kind}, {"name", e.name}, {"owner", e.owner}, {"reason", e.reason}});
    return out;
}

void print_exclusions(std::ostream& out, std::string_view title, const std::vector<Exclusion>& list,
                      ExclusionLayout layout) {
    if (list.empty()) return;
    fmt::print(out, "{}{} ({}):\n", layout.blank_line_before ? "\n" : "", title, list.size());
    for (const auto& e : list) fmt::print(out, "  {:<18} {:<{}} {}\n", e.kind, e.name, layout.name_width, e.reason);
}

}  // namespace sandboxctl::plan
