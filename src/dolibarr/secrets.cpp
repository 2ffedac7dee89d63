#include "dolibarr/secrets.hpp"

namespace sandboxctl::dolibarr {

SecretsOutcome make_secrets_safe(pg::Connection& /*target*/, const std::optional<InstanceKey>& /*prod_key*/,
                                 const std::optional<InstanceKey>& /*sandbox_key*/,
                                 const std::vector<std::string>& /*rekey*/) {
    return {};
}

}  // namespace sandboxctl::dolibarr
