#pragma once
// Dolibarr keeps some secrets encrypted with its instance key ("dolcrypt",
// dolcrypt.hpp). A refreshed sandbox holds prod's rows, so every such value is
// prod's secret under prod's key: the sandbox's Dolibarr cannot read them and
// must not be able to use them. make_secrets_safe clears them all (fail
// closed), except the llx_const names the operator lists in [dolibarr].rekey,
// which it decrypts with prod's key and encrypts again with the sandbox's.
#include <optional>
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "profiles/dolibarr/dolcrypt.hpp"

namespace sandboxctl::dolibarr {

struct ClearedSecrets {
    std::string place;  // "llx_const.MAIN_MAIL_SMTPS_PW" or "llx_oauth_token.token"
    long long values = 0;
};

struct SecretsOutcome {
    std::vector<ClearedSecrets> cleared;    // every place where dolcrypt values were cleared, with counts
    std::vector<std::string> rekeyed;       // llx_const names re-encrypted for the sandbox
    std::vector<std::string> rekey_absent;  // rekey names prod has no encrypted value for
};

// Refresh only (the rows came from prod): clears every dolcrypt value in the copied data
// (fail closed), except the `rekey` llx_const names, which are decrypted with prod's key and
// encrypted again with the sandbox's; clears every llx_user.api_key (kept users get theirs back
// afterwards, see kept_users.hpp). Runs inside the open transaction, as the target role.
SecretsOutcome make_secrets_safe(pg::Connection& target, const std::optional<InstanceKey>& prod_key,
                                 const std::optional<InstanceKey>& sandbox_key, const std::vector<std::string>& rekey);

}  // namespace sandboxctl::dolibarr
