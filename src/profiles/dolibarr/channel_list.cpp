#include "profiles/dolibarr/channel_list.hpp"

#include <fmt/format.h>

#include "profiles/dolibarr/channel_checks.hpp"
#include "profiles/dolibarr/firewall_steps.hpp"

namespace sandboxctl::dolibarr {
namespace {

constexpr const char* ldap_active[] = {"LDAP_SYNCHRO_ACTIVE", "LDAP_CONTACT_ACTIVE", "LDAP_MEMBER_ACTIVE",
                                       "LDAP_MEMBER_TYPE_ACTIVE"};
constexpr const char* ldap_servers[] = {"LDAP_SERVER_HOST", "LDAP_SERVER_HOST_SLAVE"};

const std::vector<ChannelDeclaration> channels = {
    {"mail",
     "with `mail = \"disable\"`: `MAIN_DISABLE_ALL_MAILS` = 1. With `mail = \"sink:HOST:PORT:ADDRESS\"`: "
     "`MAIN_MAIL_FORCE_SENDTO` = ADDRESS (Dolibarr then rewrites every recipient and empties cc and bcc), "
     "`MAIN_MAIL_SENDMODE` = smtps, `MAIN_MAIL_SMTP_SERVER` = HOST, `MAIN_MAIL_SMTP_PORT` = PORT; "
     "`MAIN_MAIL_EMAIL_TLS` and `MAIN_MAIL_EMAIL_STARTTLS` off; `MAIN_DISABLE_ALL_MAILS` rows that are on set to "
     "0, so the sink receives. Either way every `MAIN_MAIL_SENDMODE_<CONTEXT>` (standard, emailing, ticket, "
     "passwordreset, ...) set to `default`, so the context uses the main settings (reported as \"mail "
     "(per-context override)\")",
     "`MAIN_DISABLE_ALL_MAILS` is off and: with `mail = \"disable\"` configured, always; with `mail = "
     "\"sink:...\"`, any of `MAIN_MAIL_FORCE_SENDTO`, `MAIN_MAIL_SENDMODE` (smtps), `MAIN_MAIL_SMTP_SERVER`, "
     "`MAIN_MAIL_SMTP_PORT` differs from the sink, or a per-context send mode is not smtps to the sink's server "
     "and port; with no `[dolibarr]` section, `MAIN_MAIL_FORCE_SENDTO` is empty, or a "
     "`MAIN_MAIL_SENDMODE_<CONTEXT>` other than empty or `default` sends through its own server, which no "
     "configured sink vouches for",
     [](Firewall& f) { f.mail(); }, [](Checker& c) { c.mail(); }},
    {"ticket mail", "`TICKET_DISABLE_ALL_MAILS` = 1", "`TICKET_DISABLE_ALL_MAILS` is off",
     [](Firewall& f) { f.set("ticket mail", "TICKET_DISABLE_ALL_MAILS", "1"); },
     [](Checker& c) { c.require_on("ticket mail", "TICKET_DISABLE_ALL_MAILS", "ticket mail is not disabled"); }},
    {"SMS", "`MAIN_DISABLE_ALL_SMS` = 1", "`MAIN_DISABLE_ALL_SMS` is off",
     [](Firewall& f) { f.set("SMS", "MAIN_DISABLE_ALL_SMS", "1"); },
     [](Checker& c) { c.require_on("SMS", "MAIN_DISABLE_ALL_SMS", "SMS is not disabled"); }},
    {"scheduled jobs",
     "`llx_cronjob.status` 1 → 0 (reminder jobs, `Utils::sendBackup` which mails a dump, the email collector job, "
     "currency sync, ...)",
     "an `llx_cronjob` row has status 1",
     [](Firewall& f) {
         f.rows("scheduled jobs", "llx_cronjob", "status = 0", "status = 1", "llx_cronjob.status 1 -> 0");
     },
     [](Checker& c) { c.table_rows("scheduled jobs", "llx_cronjob", "status = 1", "label", "is enabled (status 1)"); }},
    {"webhooks",
     "`llx_webhook_target.status` → 0, and `MAIN_MODULE_WEBHOOK` off (with it on, Dolibarr 23's webhook trigger "
     "closes the request's database connection even when no target is enabled)",
     "an `llx_webhook_target` row has status other than 0 and `MAIN_MODULE_WEBHOOK` is on in its entity",
     [](Firewall& f) {
         f.rows("webhooks", "llx_webhook_target", "status = 0", "status <> 0", "llx_webhook_target.status -> 0");
         f.module_off("webhooks", "WEBHOOK");
     },
     [](Checker& c) { c.table_rows("webhooks", "llx_webhook_target", "status <> 0", "ref", "is enabled", "WEBHOOK"); }},
    {"Zapier", "`MAIN_MODULE_ZAPIER` off (its trigger ignores the hooks' status; the hooks stay)",
     "`MAIN_MODULE_ZAPIER` is on (in any case, entity 0 or the entity's own)",
     [](Firewall& f) { f.module_off("Zapier", "ZAPIER"); },
     [](Checker& c) {
         c.table_rows("Zapier", "llx_zapier_hook", "true", "event", "is registered", "ZAPIER");
         c.module_live("Zapier", "ZAPIER");
     }},
    {"email collectors",
     "`llx_emailcollector_emailcollector.status` → 0, `password` cleared (they move and expunge real mailbox "
     "messages)",
     "an `llx_emailcollector_emailcollector` row has status other than 0 or holds a password",
     [](Firewall& f) {
         f.rows("email collectors", "llx_emailcollector_emailcollector", "status = 0, password = NULL",
                "status <> 0 OR COALESCE(password, '') <> ''",
                "llx_emailcollector_emailcollector.status -> 0, password cleared");
     },
     [](Checker& c) {
         c.table_rows("email collectors", "llx_emailcollector_emailcollector",
                      "status <> 0 OR COALESCE(password, '') <> ''", "host",
                      "is collected (status not 0) or holds its mailbox's password");
     }},
    {"notifications",
     "`MAIN_MODULE_NOTIFICATION` off (covers `llx_notify_def` and the `NOTIFICATION_FIXEDEMAIL_*` addresses)",
     "`MAIN_MODULE_NOTIFICATION` is on, with `llx_notify_def` rows or a `NOTIFICATION_FIXEDEMAIL_*` address",
     [](Firewall& f) { f.module_off("notifications", "NOTIFICATION"); }, [](Checker& c) { c.notifications(); }},
    {"agenda reminders",
     "pending email and SMS reminders (`llx_actioncomm_reminder` status 0) marked done (status 1, `datedone` now)",
     "an email or SMS reminder is pending (status 0)",
     [](Firewall& f) {
         f.rows("agenda reminders", "llx_actioncomm_reminder", "status = 1, datedone = now()",
                "status = 0 AND typeremind IN ('email', 'sms')", "llx_actioncomm_reminder.status 0 -> 1 (done)");
     },
     [](Checker& c) { c.reminders(); }},
    {"mass mailing", "`llx_mailing.statut` 1 (validated) and 2 (being sent) → 0 (draft)",
     "an `llx_mailing` has statut 1 or 2",
     [](Firewall& f) {
         f.rows("mass mailing", "llx_mailing", "statut = 0", "statut IN (1, 2)",
                "llx_mailing.statut 1, 2 -> 0 (draft)");
     },
     [](Checker& c) {
         c.table_rows("mass mailing", "llx_mailing", "statut IN (1, 2)", "titre", "is validated or being sent");
     }},
    {"payments (Stripe)", "`STRIPE_LIVE` = 0; every `STRIPE_LIVE_*` key emptied (even if listed in `rekey`)",
     "`STRIPE_LIVE` is on, or a `STRIPE_LIVE_*` key is set",
     [](Firewall& f) {
         f.set("payments (Stripe)", "STRIPE_LIVE", "0");
         for (const auto& name : f.constants().names_starting_with("STRIPE_LIVE_")) {
             f.off("payments (Stripe)", name, "");
         }
     },
     [](Checker& c) { c.stripe(); }},
    {"payments (PayPal)", "`PAYPAL_API_SANDBOX` = 1", "`MAIN_MODULE_PAYPAL` is on and `PAYPAL_API_SANDBOX` is not",
     [](Firewall& f) { f.set("payments (PayPal)", "PAYPAL_API_SANDBOX", "1"); }, [](Checker& c) { c.paypal(); }},
    {"directory write-back (LDAP)",
     "`LDAP_SYNCHRO_ACTIVE`, `LDAP_CONTACT_ACTIVE`, `LDAP_MEMBER_ACTIVE`, `LDAP_MEMBER_TYPE_ACTIVE` rows that are "
     "on → 0; `LDAP_SERVER_HOST` and `LDAP_SERVER_HOST_SLAVE` emptied (the \"force synchronize\" pages write to the "
     "directory whatever `LDAP_*_ACTIVE` says)",
     "one of those constants is on or set",
     [](Firewall& f) {
         for (const char* name : ldap_active) f.off("directory write-back (LDAP)", name);
         for (const char* name : ldap_servers) f.off("directory write-back (LDAP)", name, "");
     },
     [](Checker& c) {
         for (const char* name : ldap_active) {
             c.require_off("directory write-back (LDAP)", name, "LDAP synchronisation is on");
         }
         for (const char* name : ldap_servers) {
             c.require_off("directory write-back (LDAP)", name, "an LDAP server is set (its pages write to it)");
         }
     }},
    {"mailing lists (Mailman)", "`ADHERENT_USE_MAILMAN` → 0", "`ADHERENT_USE_MAILMAN` is on",
     [](Firewall& f) { f.off("mailing lists (Mailman)", "ADHERENT_USE_MAILMAN"); },
     [](Checker& c) {
         c.require_off("mailing lists (Mailman)", "ADHERENT_USE_MAILMAN", "members are pushed to Mailman");
     }},
    {"CMS (SPIP)", "`ADHERENT_USE_SPIP` → 0", "`ADHERENT_USE_SPIP` is on",
     [](Firewall& f) { f.off("CMS (SPIP)", "ADHERENT_USE_SPIP"); },
     [](Checker& c) { c.require_off("CMS (SPIP)", "ADHERENT_USE_SPIP", "members are pushed to SPIP"); }},
    {"printing (IPP)",
     "`PRINTIPP_HOST` emptied; `PRINTING_PRINTIPP` and `PRINTING_PRINTGCP` → 0 (an empty host means 127.0.0.1 to "
     "Dolibarr's IPP client: the sandbox host's own print queues)",
     "one of those constants is on or set",
     [](Firewall& f) {
         f.off("printing (IPP)", "PRINTIPP_HOST", "");
         f.off("printing (IPP)", "PRINTING_PRINTIPP");
         f.off("printing (IPP)", "PRINTING_PRINTGCP");
     },
     [](Checker& c) {
         c.require_off("printing (IPP)", "PRINTIPP_HOST", "an IPP print server is set");
         c.require_off("printing (IPP)", "PRINTING_PRINTIPP", "the IPP driver is on (no host means 127.0.0.1)");
         c.require_off("printing (IPP)", "PRINTING_PRINTGCP", "the cloud print driver is on");
     }},
    {"receipt printers",
     "`llx_printer_receipt.fk_type` 2 (file or device), 3 (network `host:port`), 4 (Windows/SMB) and 5 (CUPS) → 1, "
     "the dummy printer that only logs; name and parameter stay. No module switch would do: TakePOS prints tickets "
     "and kitchen orders and opens the cash drawer whatever `MAIN_MODULE_RECEIPTPRINTER` says. `TAKEPOS_AUTO_ORDER` "
     "→ 0 (the public ordering page, no login, prints to the kitchen)",
     "an `llx_printer_receipt` row has fk_type 2 to 5, or `TAKEPOS_AUTO_ORDER` is on",
     [](Firewall& f) {
         f.rows("receipt printers", "llx_printer_receipt", "fk_type = 1", "fk_type IN (2, 3, 4, 5)",
                "llx_printer_receipt.fk_type 2-5 -> 1 (dummy)");
         f.off("receipt printers", "TAKEPOS_AUTO_ORDER");
     },
     [](Checker& c) {
         c.receipt_printers();
         c.require_off("receipt printers", "TAKEPOS_AUTO_ORDER", "the public ordering page prints to the kitchen");
     }},
    {"TakePOS print server", "`TAKEPOS_PRINT_SERVER` emptied (the cashier's browser posts receipts to it)",
     "`TAKEPOS_PRINT_SERVER` is set", [](Firewall& f) { f.off("TakePOS print server", "TAKEPOS_PRINT_SERVER", ""); },
     [](Checker& c) {
         c.require_off("TakePOS print server", "TAKEPOS_PRINT_SERVER", "a TakePOS print server is set");
     }},
    {"click-to-dial",
     "`CLICKTODIAL_URL` emptied, `MAIN_MODULE_CLICKTODIAL` off, and each user's own `llx_user_clicktodial.url` and "
     "`pass` cleared (a user's URL overrides `CLICKTODIAL_URL`; a click places a real call)",
     "`CLICKTODIAL_URL` is set, the module is on, or a user has a URL or password of their own",
     [](Firewall& f) {
         f.off("click-to-dial", "CLICKTODIAL_URL", "");
         f.module_off("click-to-dial", "CLICKTODIAL");
         f.rows("click-to-dial", "llx_user_clicktodial", "url = NULL, pass = NULL",
                "url IS NOT NULL OR pass IS NOT NULL", "llx_user_clicktodial.url, pass cleared");
     },
     [](Checker& c) {
         c.require_off("click-to-dial", "CLICKTODIAL_URL", "a click-to-dial URL is set");
         c.click_to_dial();
     }},
    {"FTP",
     "`MAIN_MODULE_FTP` off; every `FTP_SERVER_<n>`, `FTP_USER_<n>` and `FTP_PASSWORD_<n>` emptied (the page "
     "connects when it opens, and the passwords are stored in plain text, which the dolcrypt scan cannot see)",
     "an `FTP_SERVER_<n>` or `FTP_PASSWORD_<n>` is set",
     [](Firewall& f) {
         f.module_off("FTP", "FTP");
         for (const char* prefix : {"FTP_SERVER_", "FTP_USER_", "FTP_PASSWORD_"}) {
             for (const auto& name : f.constants().names_starting_with(prefix)) f.off("FTP", name, "");
         }
     },
     [](Checker& c) { c.ftp(); }},
    {"supplier web services",
     "`llx_societe.webservices_url` and `webservices_key` cleared (a key to a supplier's own Dolibarr)",
     "an `llx_societe` row has both a web service URL and key",
     [](Firewall& f) {
         f.rows("supplier web services", "llx_societe", "webservices_url = NULL, webservices_key = NULL",
                "webservices_url IS NOT NULL OR webservices_key IS NOT NULL",
                "llx_societe.webservices_url, webservices_key cleared");
     },
     [](Checker& c) {
         c.table_rows("supplier web services", "llx_societe",
                      "COALESCE(webservices_url, '') <> '' AND COALESCE(webservices_key, '') <> ''", "nom",
                      "has a web service URL and key");
     }},
    {"currency rates", "`MULTICURRENCY_DISABLE_SYNC_CURRENCYLAYER` = 1 (the sync spends prod's API quota)",
     "`MAIN_MODULE_MULTICURRENCY` is on and `MULTICURRENCY_DISABLE_SYNC_CURRENCYLAYER` is not",
     [](Firewall& f) { f.set("currency rates", "MULTICURRENCY_DISABLE_SYNC_CURRENCYLAYER", "1"); },
     [](Checker& c) { c.currency_rates(); }},
    {"external calendars", "`AGENDA_DISABLE_EXT` = 1",
     "`AGENDA_DISABLE_EXT` is off and an `AGENDA_EXT_SRC*` calendar is on",
     [](Firewall& f) { f.set("external calendars", "AGENDA_DISABLE_EXT", "1"); },
     [](Checker& c) { c.external_calendars(); }},
    {"AI API", "`MAIN_MODULE_AI` off", "`MAIN_MODULE_AI` is on (in any case, entity 0 or the entity's own)",
     [](Firewall& f) { f.module_off("AI API", "AI"); }, [](Checker& c) { c.module_live("AI API", "AI"); }},
    {"telemetry",
     "`MAIN_FIRST_PING_OK_ID` = `disabled` and `MAIN_FIRST_PING_OK_DATE` set when empty (`main.inc.php` pings until "
     "both are saved; a new instance id would ping again otherwise); the same for `MAIN_FIRST_REGISTRATION_OK_ID`/"
     "`_DATE` (Dolibarr 23, BlockedLog); `MAIN_URL_FOR_PING` = `https://ping.invalid/` (a forced ping, "
     "`&forceping=1`, skips the `disabled` id; `.invalid` never resolves)",
     "`MAIN_URL_FOR_PING` is not `https://ping.invalid/`, `MAIN_FIRST_PING_OK_DATE` is empty or "
     "`MAIN_FIRST_PING_OK_ID` is not `disabled`; the same for the registration pair when `MAIN_MODULE_BLOCKEDLOG` "
     "is on",
     [](Firewall& f) { f.telemetry(); }, [](Checker& c) { c.telemetry(); }},
};

}  // namespace

const std::vector<ChannelDeclaration>& dolibarr_channels() { return channels; }

std::string channel_table() {
    std::string table = "| channel | switched off by | live when |\n|---|---|---|\n";
    for (const auto& c : channels) table += fmt::format("| {} | {} | {} |\n", c.name, c.switched_off_by, c.live_when);
    return table;
}

}  // namespace sandboxctl::dolibarr
