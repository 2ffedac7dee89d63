#pragma once
// Dolibarr as an application (profiles/profile.hpp): the [dolibarr] section
// parsed, the profile a rebuild runs, the live-channel check of app-check,
// and doctor's check of the instance ids.
#include <memory>

#include "config/section.hpp"
#include "pg/connection.hpp"
#include "profiles/profile.hpp"

namespace sandboxctl::dolibarr {

// The registry's entries (profiles/registry.cpp): the configured
// application, and, for app-check without a [dolibarr] section, the
// application of a database that holds Dolibarr's llx_const table (nullptr
// otherwise), whose mail is checked without a configured rule.
std::unique_ptr<profiles::Application> parse_application(const config::Section& section);
std::unique_ptr<profiles::Application> detect_application(pg::Connection& conn);

}  // namespace sandboxctl::dolibarr
