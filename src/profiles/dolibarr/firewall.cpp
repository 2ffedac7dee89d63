#include "profiles/dolibarr/firewall.hpp"

#include <fmt/format.h>

#include "core/sum.hpp"

namespace sandboxctl::dolibarr {
namespace {

constexpr const char* note = "set by sandboxctl: this database is a sandbox";

// Writes to llx_const so that every entity loads the wanted value: Dolibarr
// reads the rows of entity 0 and of its own entity, its own winning
// (conf.class.php), so every existing row is set, and a row of entity 0 added
// when there is none. Unique key uk_const (name, entity).
class ConstWriter {
public:
    ConstWriter(pg::Connection& conn, const DolibarrTables& tables)
        : conn_(conn), table_(tables.qualified("llx_const")) {}

    // Every entity gets `value`; returns the rows changed or added.
    long long set(const std::string& name, const std::string& value) {
        long long changed = update(name, value, "value IS DISTINCT FROM $2");
        return changed + add_global(name, value);
    }

    // A row of entity 0 with `value` when there is none; returns 1 if added.
    long long add_global(const std::string& name, const std::string& value) {
        return conn_.query_integer(
            fmt::format("WITH added AS (INSERT INTO {0} (name, entity, value, type, visible, note) "
                        "SELECT $1::text, 0, $2::text, 'chaine', 0, $3::text WHERE NOT EXISTS "
                        "(SELECT FROM {0} WHERE name = $1::text AND entity = 0) RETURNING 1) "
                        "SELECT count(*) FROM added",
                        table_),
            {name, value, std::string(note)});
    }

    // Rows that are on (not empty, not "0") get `value`; a constant that no
    // row sets is off already. Returns the rows changed.
    long long switch_off(const std::string& name, const std::string& value = "0") {
        return update(name, value, "value <> '' AND value <> '0'");
    }

    // Rows with an empty value get `value`; returns the rows changed.
    long long fill_empty(const std::string& name, const std::string& value) {
        return update(name, value, "value = ''");
    }

    // Every row Dolibarr reads as the switch of `module`, in any case and
    // entity, that is on gets "0"; returns the rows changed.
    long long switch_module_off(std::string_view module) {
        return conn_.query_integer(fmt::format("WITH changed AS (UPDATE {} SET value = '0' WHERE {} AND value <> '' "
                                               "AND value <> '0' RETURNING 1) SELECT count(*) FROM changed",
                                               table_, module_switch_condition(module)));
    }

    // Rows whose value is neither empty nor "default" get "default".
    long long to_default(const std::string& name) { return update(name, "default", "value NOT IN ('', 'default')"); }

private:
    long long update(const std::string& name, const std::string& value, const char* condition) {
        return conn_.query_integer(fmt::format("WITH changed AS (UPDATE {} SET value = $2 WHERE name = $1 AND {} "
                                               "RETURNING 1) SELECT count(*) FROM changed",
                                               table_, condition),
                                   {name, value});
    }

    pg::Connection& conn_;
    std::string table_;
};

class Firewall {
public:
    Firewall(pg::Connection& conn, const DolibarrTables& tables, const Constants& constants)
        : conn_(conn), tables_(tables), constants_(constants), consts_(conn, tables) {}

    FirewallOutcome take() { return std::move(outcome_); }

    void record(const char* channel, std::string change, long long rows) {
        outcome_.switched.push_back({channel, std::move(change), rows});
    }
    void set(const char* channel, const std::string& name, const std::string& value) {
        record(channel, fmt::format("llx_const {} = {}", name, value), consts_.set(name, value));
    }
    void off(const char* channel, const std::string& name, const std::string& value = "0") {
        record(channel, fmt::format("llx_const {} = {}", name, value.empty() ? "''" : value),
               consts_.switch_off(name, value));
    }
    void module_off(const char* channel, const char* module) {
        record(channel, fmt::format("llx_const MAIN_MODULE_{} = 0 (any case)", module),
               consts_.switch_module_off(module));
    }
    // UPDATE of a module's table; absent table (module never installed): nothing.
    void rows(const char* channel, const char* table, const char* set, const char* condition, std::string change) {
        if (!tables_.has(table)) return;
        auto changed = conn_.query_integer(
            fmt::format("WITH changed AS (UPDATE {} SET {} WHERE {} RETURNING 1) SELECT count(*) FROM changed",
                        tables_.qualified(table), set, condition));
        record(channel, std::move(change), changed);
    }

    void mail(const MailSetting& mail);
    void telemetry();
    void mark_ui();

private:
    pg::Connection& conn_;
    const DolibarrTables& tables_;
    const Constants& constants_;
    ConstWriter consts_;
    FirewallOutcome outcome_;
};

void Firewall::mail(const MailSetting& mail) {
    if (!mail.sink) {
        outcome_.mail = "disabled";
        set("mail", "MAIN_DISABLE_ALL_MAILS", "1");
    } else {
        const auto& sink = *mail.sink;
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
    conn_.exec(fmt::format("UPDATE {} SET value = CASE WHEN value = '' THEN 'SANDBOX - Dolibarr' ELSE 'SANDBOX - ' || "
                           "value END WHERE name = 'MAIN_APPLICATION_TITLE' AND value NOT LIKE 'SANDBOX - %'",
                           table));
    consts_.add_global("MAIN_APPLICATION_TITLE", sandbox_title(""));
    outcome_.application_title =
        conn_.query_value(fmt::format("SELECT value FROM {} WHERE name = 'MAIN_APPLICATION_TITLE' AND entity IN (0, 1) "
                                      "ORDER BY entity DESC LIMIT 1",
                                      table));
    std::string mail_words = outcome_.mail == "disabled" ? "mail is disabled" : "mail goes only to the sink mailbox";
    consts_.set("MAIN_MOTD",
                fmt::format("<b>SANDBOX</b>: a copy of production data, refreshed by sandboxctl. Nothing done here "
                            "reaches the real world: {}, and scheduled jobs, webhooks, notifications, SMS, live "
                            "payments and the other outgoing channels are off.",
                            mail_words));
}

}  // namespace

long long FirewallOutcome::rows_changed() const { return sum_of(switched, &SwitchedOff::rows); }

std::string sandbox_title(const std::string& title) {
    if (title.starts_with("SANDBOX - ")) return title;
    return "SANDBOX - " + (title.empty() ? std::string("Dolibarr") : title);
}

FirewallOutcome apply_firewall(pg::Connection& target, const MailSetting& mail) {
    auto tables = DolibarrTables::find(target);
    auto constants = Constants::read(target, tables);
    Firewall f(target, tables, constants);
    f.mail(mail);
    f.set("ticket mail", "TICKET_DISABLE_ALL_MAILS", "1");
    f.set("SMS", "MAIN_DISABLE_ALL_SMS", "1");
    f.rows("scheduled jobs", "llx_cronjob", "status = 0", "status = 1", "llx_cronjob.status 1 -> 0");
    f.rows("webhooks", "llx_webhook_target", "status = 0", "status <> 0", "llx_webhook_target.status -> 0");
    // The module too: with it on, Dolibarr 23's webhook trigger closes the
    // request's database connection (PHP reuses the link for its second,
    // identical connection) even when no target is enabled, so every action
    // that runs two triggers fails in the sandbox (tests/app saw it).
    f.module_off("webhooks", "WEBHOOK");
    // Zapier's trigger ignores the hooks' status: the module goes off.
    f.module_off("Zapier", "ZAPIER");
    f.rows("email collectors", "llx_emailcollector_emailcollector", "status = 0, password = NULL",
           "status <> 0 OR COALESCE(password, '') <> ''",
           "llx_emailcollector_emailcollector.status -> 0, password cleared");
    f.module_off("notifications", "NOTIFICATION");
    f.rows("agenda reminders", "llx_actioncomm_reminder", "status = 1, datedone = now()",
           "status = 0 AND typeremind IN ('email', 'sms')", "llx_actioncomm_reminder.status 0 -> 1 (done)");
    f.rows("mass mailing", "llx_mailing", "statut = 0", "statut IN (1, 2)", "llx_mailing.statut 1, 2 -> 0 (draft)");
    f.set("payments (Stripe)", "STRIPE_LIVE", "0");
    for (const auto& name : constants.names_starting_with("STRIPE_LIVE_")) f.off("payments (Stripe)", name, "");
    f.set("payments (PayPal)", "PAYPAL_API_SANDBOX", "1");
    for (const char* name :
         {"LDAP_SYNCHRO_ACTIVE", "LDAP_CONTACT_ACTIVE", "LDAP_MEMBER_ACTIVE", "LDAP_MEMBER_TYPE_ACTIVE"}) {
        f.off("directory write-back (LDAP)", name);
    }
    f.off("mailing lists (Mailman)", "ADHERENT_USE_MAILMAN");
    f.off("CMS (SPIP)", "ADHERENT_USE_SPIP");
    f.off("printing (IPP)", "PRINTIPP_HOST", "");
    // An empty PRINTIPP_HOST means 127.0.0.1 to Dolibarr's IPP client: the
    // drivers go off too (the sandbox host may have real print queues).
    f.off("printing (IPP)", "PRINTING_PRINTIPP");
    f.off("printing (IPP)", "PRINTING_PRINTGCP");
    // Receipt printers (TakePOS): network, file, Windows and CUPS printers
    // become the dummy one, which only logs. No module switch stops them:
    // TakePOS prints and opens the cash drawer whatever ReceiptPrinter says.
    f.rows("receipt printers", "llx_printer_receipt", "fk_type = 1", "fk_type IN (2, 3, 4, 5)",
           "llx_printer_receipt.fk_type 2-5 -> 1 (dummy)");
    f.off("receipt printers", "TAKEPOS_AUTO_ORDER");
    f.off("TakePOS print server", "TAKEPOS_PRINT_SERVER", "");
    // The user's own click-to-dial URL overrides CLICKTODIAL_URL.
    f.off("click-to-dial", "CLICKTODIAL_URL", "");
    f.module_off("click-to-dial", "CLICKTODIAL");
    f.rows("click-to-dial", "llx_user_clicktodial", "url = NULL, pass = NULL", "url IS NOT NULL OR pass IS NOT NULL",
           "llx_user_clicktodial.url, pass cleared");
    // The FTP client connects when its page opens; its passwords are stored
    // in plain text (no dolcrypt suffix matches FTP_PASSWORD_<n>).
    f.module_off("FTP", "FTP");
    for (const char* prefix : {"FTP_SERVER_", "FTP_USER_", "FTP_PASSWORD_"}) {
        for (const auto& name : constants.names_starting_with(prefix)) f.off("FTP", name, "");
    }
    // The LDAP pages' "force synchronize" writes ignore LDAP_*_ACTIVE: no server.
    f.off("directory write-back (LDAP)", "LDAP_SERVER_HOST", "");
    f.off("directory write-back (LDAP)", "LDAP_SERVER_HOST_SLAVE", "");
    f.rows("supplier web services", "llx_societe", "webservices_url = NULL, webservices_key = NULL",
           "webservices_url IS NOT NULL OR webservices_key IS NOT NULL",
           "llx_societe.webservices_url, webservices_key cleared");
    f.set("currency rates", "MULTICURRENCY_DISABLE_SYNC_CURRENCYLAYER", "1");
    f.set("external calendars", "AGENDA_DISABLE_EXT", "1");
    f.module_off("AI API", "AI");
    f.telemetry();
    f.mark_ui();
    return f.take();
}

}  // namespace sandboxctl::dolibarr
