#include "profiles/dolibarr/settings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/error.hpp"
#include "profiles/dolibarr/masking_policy.hpp"

namespace sandboxctl::dolibarr {

DolibarrSettings parse_settings(const config::Section& section) {
    section.allow_only({"sandbox_conf", "prod_conf", "rekey", "keep_users", "mail", "masking"});
    DolibarrSettings dolibarr;
    dolibarr.base_dir = section.base_dir();
    auto sandbox_conf = section.string("sandbox_conf");
    if (!sandbox_conf || sandbox_conf->empty()) {
        throw usage_error(fmt::format("{}: [dolibarr] needs sandbox_conf", section.where()),
                          "Name the sandbox instance's conf.php: sandbox_conf = \"/path/to/htdocs/conf/conf.php\" "
                          "(or ssh://, kubectl://, exec: as for sync-files).");
    }
    dolibarr.sandbox_conf = *sandbox_conf;
    if (auto v = section.string("prod_conf")) dolibarr.prod_conf = *v;
    dolibarr.rekey = section.strings("rekey");
    dolibarr.keep_users = section.strings("keep_users");
    if (auto v = section.string("mail")) dolibarr.mail = *v;
    if (auto v = section.string("masking")) {
        auto policies = masking_policies();
        if (std::find(policies.begin(), policies.end(), *v) == policies.end()) {
            throw usage_error(fmt::format("{}: dolibarr.masking is \"{}\", not a masking policy", section.where(), *v),
                              "Write masking = \"personal\" (the personal data of Dolibarr's core tables, listed "
                              "in docs/dolibarr.md), or leave it out to copy prod's data as it is.");
        }
        dolibarr.masking = *v;
    }
    if (!dolibarr.rekey.empty() && dolibarr.prod_conf.empty()) {
        throw usage_error(fmt::format("{}: dolibarr.rekey needs dolibarr.prod_conf", section.where()),
                          "Re-encrypting a value takes prod's instance id: name prod's conf.php in prod_conf, "
                          "or drop rekey to clear those values.");
    }
    return dolibarr;
}

}  // namespace sandboxctl::dolibarr
