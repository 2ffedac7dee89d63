#pragma once
// The Dolibarr profile ([dolibarr] in the configuration): what a refresh and a
// full reset add to the rebuild of a Dolibarr sandbox, inside its transaction:
// secrets cleared or re-keyed, kept users written back, every outgoing channel
// switched off, the UI marked, and a re-check that nothing is live, failing
// the rebuild (exit 3, nothing committed) when something is.
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>

#include "config/settings.hpp"
#include "dolibarr/channels.hpp"
#include "dolibarr/dolcrypt.hpp"
#include "dolibarr/firewall.hpp"
#include "dolibarr/kept_users.hpp"
#include "dolibarr/secrets.hpp"
#include "rebuild/steps.hpp"

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

class DolibarrProfile final : public rebuild::Profile {
public:
    // Checks the settings and, for a refresh, reads the instance ids (the
    // sandbox's, and prod's when prod_conf is set) into memory: every input
    // is read before the sandbox is touched.
    DolibarrProfile(const config::DolibarrSettings& settings, ProfileMode mode);

    // Captures the kept users; refuses (exit 2) a [dolibarr].rekey name whose
    // llx_const row a [[refresh.keep]] rule keeps.
    void before_clean(pg::Connection& target, const rebuild::KeptRows& kept) override;
    // Refresh: make_secrets_safe on prod's rows, before the kept rows (the
    // sandbox's own values) go back over them.
    void before_kept_rows(pg::Connection& target) override;
    // Kept users -> firewall and UI marking -> live-channel re-check; throws
    // (exit 3) when any channel is still live.
    void after_load(pg::Connection& target) override;

    // What after_load did (complete once it returned).
    const ProfileReport& report() const { return report_; }

private:
    config::DolibarrSettings settings_;
    MailSetting mail_;
    std::optional<InstanceKey> sandbox_key_;
    std::optional<InstanceKey> prod_key_;
    std::optional<KeptUsers> kept_;
    ProfileReport report_;
};

// The refusal the re-check throws when `live` is not empty (exit 3), naming
// each channel and the row or constant that keeps it live.
[[noreturn]] void refuse_live_channels(const std::vector<LiveChannel>& live);

}  // namespace sandboxctl::dolibarr
