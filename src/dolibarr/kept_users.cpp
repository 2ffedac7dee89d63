#include "dolibarr/kept_users.hpp"

namespace sandboxctl::dolibarr {

KeptUsers KeptUsers::capture(pg::Connection& /*target*/, const std::vector<std::string>& logins) {
    KeptUsers kept;
    kept.logins_ = logins;
    return kept;
}

KeptUsersOutcome KeptUsers::restore(pg::Connection& /*target*/) const {
    KeptUsersOutcome outcome;
    for (const auto& login : logins_) {
        KeptUser user;
        user.login = login;
        outcome.users.push_back(user);
    }
    return outcome;
}

}  // namespace sandboxctl::dolibarr
