#pragma once
// [dolibarr]: the Dolibarr profile's section of the configuration file.
#include <filesystem>
#include <string>
#include <vector>

#include "config/section.hpp"

namespace sandboxctl::dolibarr {

struct DolibarrSettings {
    std::string sandbox_conf;             // a LOCATION (sync/location.hpp) of the sandbox instance's conf.php
    std::string prod_conf;                // optional: prod's conf.php, read for its instance id only
    std::vector<std::string> rekey;       // llx_const names re-encrypted for the sandbox
    std::vector<std::string> keep_users;  // llx_user.login values carried over
    std::string mail = "disable";         // "disable" or "sink:HOST:PORT:ADDRESS"
    std::string masking;                  // "" (none) or "personal" (profiles/dolibarr/masking_policy.hpp)
    std::filesystem::path base_dir;       // the config file's directory (relative local paths)
};

// Parses the section; what is missing or contradicts itself is a usage error
// placed at the section.
DolibarrSettings parse_settings(const config::Section& section);

}  // namespace sandboxctl::dolibarr
