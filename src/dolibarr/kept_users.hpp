#pragma once
// Users of the sandbox that outlive a rebuild (e.g. the login an AI agent or a
// tester works with): captured before the clean, written back after the load.
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace sandboxctl::dolibarr {

struct KeptUser {
    std::string login;
    bool found = false;  // the sandbox had this login (else nothing to keep, a warning)
    long long sandbox_rowid = 0;
    long long rowid = 0;    // its rowid after the restore (differs when prod holds sandbox_rowid for another user)
    std::string prod_user;  // what happened to a prod user that collided on a unique key ("" if none)
};

struct KeptUsersOutcome {
    std::vector<KeptUser> users;
};

class KeptUsers {
public:
    // Before the clean: the users with these logins, their rights, group memberships
    // (and whatever else must come along: extrafields, params) read from the sandbox into memory.
    static KeptUsers capture(pg::Connection& target, const std::vector<std::string>& logins);
    // After the load (and after make_secrets_safe): writes them back; see the doc comment for collisions.
    KeptUsersOutcome restore(pg::Connection& target) const;

private:
    std::vector<std::string> logins_;
};

}  // namespace sandboxctl::dolibarr
