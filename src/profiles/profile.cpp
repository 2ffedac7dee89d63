#include "profiles/profile.hpp"

#include <fmt/format.h>

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

std::vector<masking::Rule> masking_rules(const config::Settings& settings,
                                         const std::vector<std::unique_ptr<Application>>& applications) {
    auto rules = masking::rules_of(settings.masking);
    for (const auto& application : applications) {
        for (auto& rule : application->masking_rules()) rules.push_back(std::move(rule));
    }
    return rules;
}

}  // namespace sandboxctl::profiles
