#pragma once
// The Dolibarr profile ([dolibarr] in the configuration): what a refresh and a
// full reset add to the rebuild of a Dolibarr sandbox, inside its transaction:
// secrets cleared or re-keyed, kept users written back, every outgoing channel
// switched off, the UI marked, and a re-check that nothing is live, failing
// the rebuild (exit 3, nothing committed) when something is.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "profiles/dolibarr/channels.hpp"
#include "profiles/dolibarr/dolcrypt.hpp"
#include "profiles/dolibarr/firewall.hpp"
#include "profiles/dolibarr/kept_users.hpp"
#include "profiles/dolibarr/secrets.hpp"
#include "profiles/dolibarr/settings.hpp"
#include "profiles/profile.hpp"

namespace sandboxctl::dolibarr {

enum class ProfileMode {
    // Rows from prod: secrets, kept users, firewall, check.
    refresh,
    // Rows from a snapshot of the sandbox: kept users, firewall, check.
    reset,
};

struct ProfileReport {
    ProfileMode mode = ProfileMode::refresh;
    std::optional<SecretsOutcome> secrets;  // refresh only
    KeptUsersOutcome users;
    FirewallOutcome firewall;
};

void print_text(const ProfileReport& report, std::ostream& out);
nlohmann::json to_json(const ProfileReport& report);

class DolibarrProfile final : public profiles::Profile {
public:
    // Checks the settings and, for a refresh, reads the instance ids (the
    // sandbox's, and prod's when prod_conf is set) into memory: every input
    // is read before the sandbox is touched.
    DolibarrProfile(const DolibarrSettings& settings, ProfileMode mode);

    // Captures the kept users; refuses (exit 2) a [dolibarr].rekey name whose
    // llx_const row a [[refresh.keep]] rule keeps.
    void before_clean(pg::Connection& target, const rebuild::KeptRows& kept) override;
    // Refresh: make_secrets_safe on prod's rows, before the kept rows (the
    // sandbox's own values) go back over them.
    void before_kept_rows(pg::Connection& target) override;
    // Kept users -> firewall and UI marking.
    void after_load(pg::Connection& target) override;
    // The live-channel check of app-check, against the configured mail.
    std::vector<LiveChannel> live_channels(pg::Connection& target) override;

    // What after_load did (complete once it returned).
    const ProfileReport& report() const { return report_; }
    profiles::Outcome outcome() const override;

private:
    DolibarrSettings settings_;
    MailSetting mail_;
    std::optional<InstanceKey> sandbox_key_;
    std::optional<InstanceKey> prod_key_;
    std::optional<KeptUsers> kept_;
    ProfileReport report_;
};

}  // namespace sandboxctl::dolibarr
