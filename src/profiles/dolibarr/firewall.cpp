#include "profiles/dolibarr/firewall.hpp"

#include <fmt/format.h>

#include "core/sum.hpp"
#include "profiles/dolibarr/channel_list.hpp"
#include "profiles/dolibarr/firewall_steps.hpp"

namespace sandboxctl::dolibarr {
void Firewall::mail() {
    if (!mail_.sink) {
        outcome_.mail = "disabled";
        set("mail", "MAIN_DISABLE_ALL_MAILS", "1");
    } else {
        const auto& sink = *mail_.sink;
        outcome_.mail = fmt::format("forced to the sink {}:{}, recipient {}", sink.host, sink.port, sink.address);
        // The sink is meant to receive: a prod that disabled mail would hide it.
        off("mail", "MAIN_DISABLE_ALL_MAILS");
        set("mail", "MAIN_MAIL_FORCE_SENDTO", sink.address);
        set("mail", "MAIN_MAIL_SENDMODE", "smtps");
        set("mail", "MAIN_MAIL_SMTP_SERVER", sink.host);
        set("mail", "MAIN_MAIL_SMTP_PORT", std::to_string(sink.port));
        // A local sink speaks plain SMTP.
        off("mail", "MAIN_MAIL_EMAIL_TLS");
        off("mail", "MAIN_MAIL_EMAIL_STARTTLS");
    }
    // A per-context send mode (MAIN_MAIL_SENDMODE_TICKET, ...) other than
    // "default" sends through its own server: back to the main settings.
    for (const auto& name : constants_.names_starting_with("MAIN_MAIL_SENDMODE_")) {
        record("mail (per-context override)", fmt::format("llx_const {} = default", name), consts_.to_default(name));
    }
}

void Firewall::telemetry() {
    // main.inc.php pings the vendor until both the date and the id are saved;
    // the id "disabled" stops it whatever the instance id (a sandbox has its own).
    auto now = conn_.query_value("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYYMMDDHH24MISS')");
    auto stop = [&](const std::string& date, const std::string& id) {
        // An empty date means "never pinged": any date will do.
        record("telemetry", fmt::format("llx_const {} set", date),
               consts_.fill_empty(date, now) + consts_.add_global(date, now));
        set("telemetry", id, "disabled");
    };
    stop("MAIN_FIRST_PING_OK_DATE", "MAIN_FIRST_PING_OK_ID");
    stop("MAIN_FIRST_REGISTRATION_OK_DATE", "MAIN_FIRST_REGISTRATION_OK_ID");
    // A forced ping (&forceping=1) skips the "disabled" id: its address
    // becomes one that never resolves.
    set("telemetry", "MAIN_URL_FOR_PING", std::string(unresolvable_ping_url));
}

void Firewall::mark_ui() {
    auto table = tables_.qualified("llx_const");
    // Each row keeps its own title behind the mark; entity 0 gets one for
    // the entities without a title of their own.
    conn_.exec(sql::format("UPDATE {} SET value = CASE WHEN value = '' THEN 'SANDBOX - Dolibarr' ELSE 'SANDBOX - ' || "
                           "value END WHERE name = 'MAIN_APPLICATION_TITLE' AND value NOT LIKE 'SANDBOX - %'",
                           table));
    consts_.add_global("MAIN_APPLICATION_TITLE", sandbox_title(""));
    outcome_.application_title =
        conn_.query_value(sql::format("SELECT value FROM {} WHERE name = 'MAIN_APPLICATION_TITLE' AND entity IN (0, 1) "
                                      "ORDER BY entity DESC LIMIT 1",
                                      table));
    std::string mail_words = outcome_.mail == "disabled" ? "mail is disabled" : "mail goes only to the sink mailbox";
    consts_.set("MAIN_MOTD",
                fmt::format("<b>SANDBOX</b>: a copy of production data, refreshed by sandboxctl. Nothing done here "
                            "reaches the real world: {}, and scheduled jobs, webhooks, notifications, SMS, live "
                            "payments and the other outgoing channels are off.",
                            mail_words));
}

long long FirewallOutcome::rows_changed() const { return sum_of(switched, &SwitchedOff::rows); }

std::string sandbox_title(const std::string& title) {
    if (title.starts_with("SANDBOX - ")) return title;
    return "SANDBOX - " + (title.empty() ? std::string("Dolibarr") : title);
}

FirewallOutcome apply_firewall(pg::Connection& target, const MailSetting& mail) {
    auto tables = DolibarrTables::find(target);
    auto constants = Constants::read(target, tables);
    Firewall f(target, tables, constants, mail);
    for (const auto& channel : dolibarr_channels()) channel.off(f);
    f.mark_ui();
    return f.take();
}

}  // namespace sandboxctl::dolibarr
