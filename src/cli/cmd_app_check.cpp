#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "plan/session_setup.hpp"
#include "profiles/registry.hpp"

namespace sandboxctl::cli {
namespace {

struct AppCheckOptions {
    config::Overrides settings;
    std::string json_path;
};

struct CheckedApplication {
    std::string name;
    std::string rule;  // what its channels are held to, where the configuration decides it
};

struct AppCheck {
    std::string target;
    std::vector<CheckedApplication> applications;
    std::vector<profiles::LiveChannel> live;
};

void print_text(const AppCheck& check, std::ostream& out) {
    fmt::print(out, "app-check {}: {}\n", check.target,
               check.live.empty()
                   ? "no live outgoing channel"
                   : fmt::format("{} live outgoing channel{}", check.live.size(), check.live.size() == 1 ? "" : "s"));
    for (const auto& a : check.applications) {
        fmt::print(out, "  {}{}\n", a.name, a.rule.empty() ? "" : ": " + a.rule);
    }
    for (const auto& c : check.live) fmt::print(out, "  {:<28} {:<48} {}\n", c.channel, c.where, c.detail);
}

nlohmann::json to_json(const AppCheck& check) {
    nlohmann::json doc;
    doc["target"] = check.target;
    doc["applications"] = nlohmann::json::array();
    for (const auto& a : check.applications) doc["applications"].push_back({{"name", a.name}, {"rule", a.rule}});
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
    auto applications = profiles::configured(settings);
    auto target = plan::open_target(settings, "app-check");
    AppCheck check{target.info.describe(), {}, {}};
    // Read-only, at one snapshot: the check sees one state and changes nothing.
    target.conn.exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    // A session holding a lock on a table it reads (a migration, say) makes
    // it fail with the reason after the configured lock timeout, not wait.
    target.conn.exec(fmt::format("SET LOCAL lock_timeout = {}", settings.lock_timeout.count()));
    // With no profile section, the profiles whose tables the database holds.
    if (settings.application_sections.empty()) {
        auto found = profiles::detected(target.conn);
        applications.insert(applications.begin(), std::make_move_iterator(found.begin()),
                            std::make_move_iterator(found.end()));
    }
    if (applications.empty()) {
        throw usage_error(fmt::format("nothing to check in database \"{}\": no application profile is configured, no "
                                      "[[channels]] are declared, and the database holds the tables of no profile "
                                      "sandboxctl knows ({})",
                                      target.conn.database(), fmt::join(profiles::names(), ", ")),
                          "Point --target at the sandbox, or declare its channels (see "
                          "docs/manual.md#declared-channels).");
    }
    for (const auto& application : applications) {
        check.applications.push_back({std::string(application->name()), application->rule()});
        for (auto& channel : application->live_channels(target.conn)) check.live.push_back(std::move(channel));
    }
    target.conn.exec("COMMIT");
    if (log::level() >= log::Level::normal || !check.live.empty()) print_text(check, output.text());
    output.write_json(to_json(check));
    return check.live.empty() ? ExitCode::ok : ExitCode::refused;
}

}  // namespace

void register_app_check(Command& app, Context& context) {
    auto options = std::make_shared<AppCheckOptions>();
    auto command = app.subcommand(
        "app-check",
        "List the outgoing channels through which a sandbox's application can still act on the real world");
    command.footer(R"(
Reads the sandbox (one read-only transaction, under refresh.lock_timeout) and lists every channel that is live, with the
row or setting that keeps it live: those of each configured application profile (with none
configured, of each profile whose tables the database holds), and the channels the config
declares ([[channels]]: each live_when, see docs/manual.md#declared-channels). Exits 0 when no
channel is live, 3 when one is, 2 when there is nothing to check. Use it after a BDD scenario
or in an agent's pre-flight.

The Dolibarr profile ([dolibarr], or a database holding llx_const) checks mail (and per-context
send modes), ticket mail, SMS, scheduled jobs, webhooks, Zapier, email collectors,
notifications, agenda reminders, mass mailings, Stripe and PayPal, LDAP write-back,
Mailman/SPIP, printing, click-to-dial, FTP, currency rates, external calendars, the AI API and
the telemetry ping, in every entity (multi-company) as Dolibarr loads it. Mail is safe when
MAIN_DISABLE_ALL_MAILS is on; with [dolibarr] mail = "sink:HOST:PORT:ADDRESS", also when every
send mode goes to that sink; without it, also when MAIN_MAIL_FORCE_SENDTO is set and no
per-context send mode overrides the main one. DOLIBARR_<NAME> variables of the web server
override llx_const rows and cannot be seen from the database. See docs/dolibarr.md.)");
    add_target_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_app_check);
}

}  // namespace sandboxctl::cli
