#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/log.hpp"
#include "dolibarr/channels.hpp"
#include "plan/session_setup.hpp"

namespace sandboxctl::cli {
namespace {

struct AppCheckOptions {
    config::Overrides settings;
    std::string json_path;
};

struct AppCheck {
    std::string target;
    std::string mail_rule;  // what mail is checked against
    std::vector<dolibarr::LiveChannel> live;
};

std::string mail_rule_of(const std::optional<dolibarr::MailSetting>& mail) {
    if (!mail) return "no [dolibarr] mail setting: disabled, or forced to one recipient with no per-context send mode";
    if (!mail->sink) return "dolibarr.mail = \"disable\": disabled";
    const auto& sink = *mail->sink;
    return fmt::format("dolibarr.mail: disabled, or forced to the sink {}:{} and {}", sink.host, sink.port,
                       sink.address);
}

void print_text(const AppCheck& check, std::ostream& out) {
    fmt::print(out, "app-check {}: {}\n", check.target,
               check.live.empty()
                   ? "no live outgoing channel"
                   : fmt::format("{} live outgoing channel{}", check.live.size(), check.live.size() == 1 ? "" : "s"));
    fmt::print(out, "  mail checked against: {}\n", check.mail_rule);
    for (const auto& c : check.live) fmt::print(out, "  {:<28} {:<48} {}\n", c.channel, c.where, c.detail);
}

nlohmann::json to_json(const AppCheck& check) {
    nlohmann::json doc;
    doc["target"] = check.target;
    doc["mail_rule"] = check.mail_rule;
    doc["live"] = !check.live.empty();
    doc["live_channels"] = nlohmann::json::array();
    for (const auto& c : check.live) {
        doc["live_channels"].push_back({{"channel", c.channel}, {"where", c.where}, {"detail", c.detail}});
    }
    return doc;
}

ExitCode run_app_check(const Context& context, AppCheckOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    std::optional<dolibarr::MailSetting> mail;
    if (settings.dolibarr) mail = dolibarr::parse_mail_setting(settings.dolibarr->mail);
    auto target = plan::open_target(settings, "app-check");
    AppCheck check{target.info.describe(), mail_rule_of(mail), {}};
    // Read-only, at one snapshot: the check sees one state and changes nothing.
    target.conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    check.live = dolibarr::live_channels(target.conn, mail);
    target.conn.exec("COMMIT");
    if (log::level() >= log::Level::normal || !check.live.empty()) print_text(check, output.text());
    output.write_json(to_json(check));
    return check.live.empty() ? ExitCode::ok : ExitCode::refused;
}

}  // namespace

void register_app_check(Command& app, Context& context) {
    auto options = std::make_shared<AppCheckOptions>();
    auto command = app.subcommand(
        "app-check", "List the outgoing channels through which a Dolibarr sandbox can still act on the real world");
    command.footer(R"(
Reads the sandbox (one read-only transaction) and lists every channel that is live, with the
row or constant that keeps it live: mail (and per-context send modes), ticket mail, SMS,
scheduled jobs (llx_cronjob status 1), webhooks, Zapier, email collectors, notifications,
pending agenda reminders, mass mailings in progress, live Stripe or PayPal, LDAP write-back,
Mailman/SPIP, IPP printing, click-to-dial, the AI API and the telemetry ping. Every entity
(multi-company) is checked as Dolibarr loads it: its own llx_const rows over those of entity 0.

Mail is safe when MAIN_DISABLE_ALL_MAILS is on; with a [dolibarr] mail = "sink:HOST:PORT:ADDRESS"
in the config, also when every send mode goes to that sink; without one, also when
MAIN_MAIL_FORCE_SENDTO is set and no per-context send mode (MAIN_MAIL_SENDMODE_<CONTEXT>)
overrides the main one. DOLIBARR_<NAME> variables of the web server override llx_const rows
and cannot be seen from the database. Exits 0 when no channel is live, 3 when one is.
Use it after a BDD scenario or in an agent's pre-flight; see docs/dolibarr.md.)");
    add_target_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_app_check);
}

}  // namespace sandboxctl::cli
