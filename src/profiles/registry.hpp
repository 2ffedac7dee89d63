#pragma once
// The application profiles sandboxctl knows, each registered under the name
// of its configuration section. The one place that names them (as ccache's
// storage registry names its backends): everything else goes through
// profiles::Application.
#include <memory>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "pg/connection.hpp"
#include "profiles/profile.hpp"

namespace sandboxctl::profiles {

// The applications the settings configure, in the file's order, then the
// declared channels ([[channels]], profiles/declared_channels.hpp) as one
// more. Each section is parsed by its profile; a section no profile claims is
// a usage error naming it, its place, and the sections that exist.
std::vector<std::unique_ptr<Application>> configured(const config::Settings& settings);

// The masking rules of the settings: the user's, then those of the
// applications they configure (profiles::masking_rules).
std::vector<masking::Rule> configured_masking_rules(const config::Settings& settings);

// For app-check without any configured application: the applications whose
// tables the database holds, each checked without its section's settings.
std::vector<std::unique_ptr<Application>> detected(pg::Connection& conn);

// The registered section names ("dolibarr"), for help and errors.
std::vector<std::string_view> names();

}  // namespace sandboxctl::profiles
