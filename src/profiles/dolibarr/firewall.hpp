#pragma once
// The side-effect firewall: switches off, in a Dolibarr sandbox built from
// prod's rows, every channel through which the application acts on the real
// world (dolibarr/channels.hpp lists them), and marks the UI as a sandbox.
// Runs inside the rebuild's transaction; live_channels() re-checks the result.
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "profiles/dolibarr/channels.hpp"

namespace sandboxctl::dolibarr {

// One switch thrown: which channel, what was changed, how many rows.
struct SwitchedOff {
    std::string channel;
    std::string change;  // "llx_cronjob.status 1 -> 0", "llx_const MAIN_DISABLE_ALL_MAILS = 1"
    long long rows = 0;
};

struct FirewallOutcome {
    std::string mail;  // "disabled", or "forced to the sink HOST:PORT, recipient ADDRESS"
    std::vector<SwitchedOff> switched;
    std::string application_title;  // MAIN_APPLICATION_TITLE as the sandbox shows it (entity 1)

    long long rows_changed() const;
};

// Throws every switch (see docs/dolibarr.md, "The side-effect firewall"), then
// sets MAIN_APPLICATION_TITLE ("SANDBOX - <prod's title>") and MAIN_MOTD.
// Idempotent: a sandbox that is already safe changes no row but the notice.
FirewallOutcome apply_firewall(pg::Connection& target, const MailSetting& mail);

// The title the UI shows for a sandbox whose prod title is `title` ("" when
// prod has none): "SANDBOX - <title or Dolibarr>"; a marked title is kept.
std::string sandbox_title(const std::string& title);

}  // namespace sandboxctl::dolibarr
