#pragma once
// An application profile: what sandboxctl knows of one application beyond
// its database (Dolibarr's in profiles/dolibarr/). A profile is configured by
// a section of its own ([dolibarr]); profiles/registry.hpp turns the
// configured sections into Applications. The core (refresh, reset,
// app-check, doctor) sees only the interfaces below and names no
// application: scripts/check_layers.py fails CI if it does.
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "masking/policy.hpp"
#include "pg/connection.hpp"
#include "rebuild/live_channels.hpp"
#include "rebuild/steps.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::profiles {

// What rows a rebuild loads.
enum class Use {
    refresh,  // prod's rows
    reset,    // a snapshot of the sandbox: rows a refresh already made safe
};

using rebuild::LiveChannel;

// What a profile did in one rebuild, for the run's report: a section of the
// text report, and the JSON under the profile's name.
struct Outcome {
    std::string name;
    std::string text;
    nlohmann::json json;
};

// A profile at work in one refresh or full reset: its hooks run inside the
// rebuild's transaction (rebuild/steps.hpp).
class Profile : public rebuild::Profile {
public:
    // What it did; complete once after_load returned.
    virtual Outcome outcome() const = 0;
};

// One configured application.
class Application {
public:
    virtual ~Application() = default;
    // The name of its section, its report's heading and JSON key.
    virtual std::string_view name() const = 0;
    // The profile for one rebuild. Reads what it needs (files, say) now,
    // before the sandbox is touched; what it refuses throws.
    virtual std::unique_ptr<Profile> open(Use use) const = 0;
    // For app-check, in one read-only transaction: every live channel.
    virtual std::vector<LiveChannel> live_channels(pg::Connection& conn) const = 0;
    // For app-check: what the check holds the channels to, in words, where
    // the configuration decides it ("" otherwise).
    virtual std::string rule() const { return ""; }
    // For doctor: what a refresh would refuse, checked without a database.
    virtual std::vector<safety::Check> checks() const { return {}; }
    // The masking policy its section chose ([dolibarr] masking = "personal"):
    // rules over the application's tables, beside the user's.
    virtual std::vector<masking::Rule> masking_rules() const { return {}; }
};

// The user's [[masking.rule]]s, then every application's.
std::vector<masking::Rule> masking_rules(const config::Settings& settings,
                                         const std::vector<std::unique_ptr<Application>>& applications);

// The outcomes in a run's reports: each profile's text section, and its JSON
// under its name.
void print_outcomes(const std::vector<Outcome>& outcomes, std::ostream& out);
void add_outcomes(const std::vector<Outcome>& outcomes, nlohmann::json& doc);

// Opens every application's profile for one rebuild (profiles/profile.hpp).
std::vector<std::unique_ptr<Profile>> open_all(const std::vector<std::unique_ptr<Application>>& applications, Use use);
// The profiles as the rebuild takes them, and what each did.
std::vector<rebuild::Profile*> hooks_of(const std::vector<std::unique_ptr<Profile>>& profiles);
std::vector<Outcome> outcomes_of(const std::vector<std::unique_ptr<Profile>>& profiles);

}  // namespace sandboxctl::profiles
