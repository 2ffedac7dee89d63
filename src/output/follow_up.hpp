#pragma once
// Steps after a commit that failed (restarting the application, syncing the
// files, a snapshot, the JSON report): the operation stands, so the run is
// neither a success nor a failure that left the sandbox as it was. Every
// command reports them the same way: its report printed and written first,
// then exit 5 naming each step and what finishes it.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::output {

struct FollowUpFailure {
    std::string step;  // "connection limit", "kubernetes", "after hook", "files", "snapshot", "report"
    std::string message;
    std::string hint;
};

// [{step, message, hint}], for the --json reports.
nlohmann::json follow_up_json(const std::vector<FollowUpFailure>& failures);

// Throws Error(incomplete), "<done> (committed), but <message>; and <message>",
// with the hints joined, when there is any failure.
void throw_if_incomplete(const std::vector<FollowUpFailure>& failures, std::string_view done);

}  // namespace sandboxctl::output
