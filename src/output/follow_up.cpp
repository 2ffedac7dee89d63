#include "output/follow_up.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace sandboxctl::output {

nlohmann::json follow_up_json(const std::vector<FollowUpFailure>& failures) {
    auto doc = nlohmann::json::array();
    for (const auto& f : failures) doc.push_back({{"step", f.step}, {"message", f.message}, {"hint", f.hint}});
    return doc;
}

void throw_if_incomplete(const std::vector<FollowUpFailure>& failures, std::string_view done) {
    if (failures.empty()) return;
    std::string message = fmt::format("{} (committed), but ", done);
    std::string hint;
    for (std::size_t i = 0; i < failures.size(); ++i) {
        message += (i ? "; and " : "") + failures[i].message;
        hint += (i ? "\n" : "") + failures[i].hint;
    }
    throw Error(ExitCode::incomplete, message, hint);
}

}  // namespace sandboxctl::output
