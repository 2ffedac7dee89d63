#include "profiles/registry.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "profiles/declared_channels.hpp"
#include "profiles/dolibarr/application.hpp"

namespace sandboxctl::profiles {
namespace {

struct Registration {
    std::string_view section;
    std::unique_ptr<Application> (*parse)(const config::Section& section);
    std::unique_ptr<Application> (*detect)(pg::Connection& conn);
};

// Adding an application profile: its folder under profiles/, and one line here.
constexpr Registration registered[] = {
    {"dolibarr", dolibarr::parse_application, dolibarr::detect_application},
};

[[noreturn]] void unknown_section(const config::Section& section) {
    std::vector<std::string> known;
    for (auto name : config::core_sections()) known.push_back(fmt::format("[{}]", name));
    known.emplace_back("[[channels]]");
    for (const auto& r : registered) known.push_back(fmt::format("[{}]", r.section));
    throw usage_error(
        fmt::format("{}: unknown configuration section \"[{}]\"", section.where(), section.name()),
        fmt::format("The sections are {}. See docs/manual.md#configuration-file.", fmt::join(known, ", ")));
}

}  // namespace

std::vector<std::unique_ptr<Application>> configured(const config::Settings& settings) {
    std::vector<std::unique_ptr<Application>> applications;
    for (const auto& section : settings.application_sections) {
        const Registration* found = nullptr;
        for (const auto& r : registered) {
            if (r.section == section.name()) found = &r;
        }
        if (!found) unknown_section(section);
        applications.push_back(found->parse(section));
    }
    if (auto declared = declared_channels(settings.channels, settings.statement_timeout)) {
        applications.push_back(std::move(declared));
    }
    return applications;
}

std::vector<std::unique_ptr<Application>> detected(pg::Connection& conn) {
    std::vector<std::unique_ptr<Application>> applications;
    for (const auto& r : registered) {
        if (auto application = r.detect(conn)) applications.push_back(std::move(application));
    }
    return applications;
}

std::vector<std::string_view> names() {
    std::vector<std::string_view> out;
    for (const auto& r : registered) out.push_back(r.section);
    return out;
}

std::vector<masking::Rule> configured_masking_rules(const config::Settings& settings) {
    return masking_rules(settings, configured(settings));
}

}  // namespace sandboxctl::profiles
