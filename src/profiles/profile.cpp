#include "profiles/profile.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace sandboxctl::profiles {

void print_outcomes(const std::vector<Outcome>& outcomes, std::ostream& out) {
    for (const auto& o : outcomes) out << o.text;
}

void add_outcomes(const std::vector<Outcome>& outcomes, nlohmann::json& doc) {
    for (const auto& o : outcomes) doc[o.name] = o.json;
}

std::vector<std::unique_ptr<Profile>> open_all(const std::vector<std::unique_ptr<Application>>& applications, Use use) {
    std::vector<std::unique_ptr<Profile>> profiles;
    for (const auto& application : applications) profiles.push_back(application->open(use));
    return profiles;
}

std::vector<rebuild::Profile*> hooks_of(const std::vector<std::unique_ptr<Profile>>& profiles) {
    std::vector<rebuild::Profile*> hooks;
    for (const auto& profile : profiles) hooks.push_back(profile.get());
    return hooks;
}

std::vector<Outcome> outcomes_of(const std::vector<std::unique_ptr<Profile>>& profiles) {
    std::vector<Outcome> outcomes;
    for (const auto& profile : profiles) outcomes.push_back(profile->outcome());
    return outcomes;
}

void refuse_live_channels(const std::vector<LiveChannel>& live) {
    std::string named;
    for (const auto& c : live) named += fmt::format("\n  {}: {}: {}", c.channel, c.where, c.detail);
    throw Error(ExitCode::refused,
                fmt::format("the sandbox still has {} live outgoing channel{} after the firewall:{}", live.size(),
                            live.size() == 1 ? "" : "s", named),
                "Nothing was committed: the sandbox is as it was. Post-refresh SQL or a [[refresh.keep]] rule may have "
                "switched a channel back on; fix it, or see the profile's documentation (docs/dolibarr.md for "
                "Dolibarr) for what each channel needs.");
}

}  // namespace sandboxctl::profiles
