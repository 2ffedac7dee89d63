// The Dolibarr lifecycle with the real application (../shared/apps): prod
// built by Dolibarr's installer, a sandbox instance with its own conf.php,
// sandboxctl refresh with the [dolibarr] profile, then what an AI agent sees
// and what reaches the outside world (an SMTP sink and an HTTP listener
// stand in for customers and partners). The same harness as tests/app.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>
#include <regex>

#include "app/app_world.hpp"

using namespace sandboxctl::test;
using sandboxctl::ProcessResult;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
    fmt::print("{} {}\n", ok ? "  ok:" : "  UNEXPECTED:", what);
    failures += ok ? 0 : 1;
}

int step(AppWorld& world, const std::string& title, const std::vector<std::string>& args) {
    fmt::print("\n\033[1m== {}\033[0m\n$ sandboxctl", title);
    for (const auto& a : args) fmt::print(" {}", a);
    fmt::print(" -c sandboxctl.toml\n");
    std::fflush(stdout);
    auto run = world.tool(args);
    std::cout << run.out << run.err;
    fmt::print("(exit code {})\n", run.exit_code);
    return run.exit_code;
}

std::string greeting(const std::string& page) {
    std::smatch found;
    return std::regex_search(page, found, std::regex("Welcome to the ERP of [^<\\t\\n]*")) ? found.str()
                                                                                           : "(no greeting)";
}

std::string recipients(AppWorld& world) {
    std::string out;
    for (const auto& address : world.sink().recipients()) out += " " + address;
    return out.empty() ? " (none)" : out;
}

void agent_reads(AppWorld& w, const std::string& when) {
    auto agent = http({"GET", w.sandbox_web().url("/api/index.php/thirdparties?limit=50"), w.agent_key(), {}});
    auto prod_key = http({"GET", w.sandbox_web().url("/api/index.php/thirdparties"), w.prod_agent_key(), {}});
    fmt::print("GET /api/index.php/thirdparties with the agent's key: HTTP {}; with prod's agent key: HTTP {}\n",
               agent.status, prod_key.status);
    expect(agent.status == 200 && agent.body.find("Customer One") != std::string::npos,
           "the kept agent reads prod's customers " + when);
    expect(prod_key.status == 401, "prod's agent key opens nothing in the sandbox");
}

}  // namespace

int main() {
    try {
        std::string reason = app_unavailable_reason();
        if (!reason.empty()) {
            fmt::print("Dolibarr demo skipped: {}\n", reason);
            return 0;
        }
        fmt::print("installing prod with Dolibarr's own installer and filling it (about a minute)...\n");
        std::string failure;
        AppWorld* world = app_world(failure);
        if (!world) throw std::runtime_error(failure);
        AppWorld& w = *world;
        fmt::print("prod web {}, sandbox web {}, SMTP sink on port {}, partner webhook listener {}\n",
                   w.prod_web().url("/"), w.sandbox_web().url("/"), w.sink().port(), w.listener().url("/hook"));
        fmt::print("\n$ cat sandboxctl.toml\n{}", read_file(w.config()));

        failures += step(w, "first refresh: the sandbox gets prod's data", {"refresh"}) != 0;
        w.sandbox().php_checked(php_script("create_agent.php"), {},
                                {{"APP_AGENT_LOGIN", agent_login}, {"APP_AGENT_KEY", w.agent_key()}});
        fmt::print("\n== the AI agent's user and API key are created in the sandbox instance\n");
        failures += step(w, "refresh: prod's data, the agent kept, secrets re-keyed, channels off", {"refresh"}) != 0;
        failures += step(w, "sync the uploaded documents (the logo)", {"sync-files"}) != 0;

        fmt::print("\n== what the sandbox instance shows\n");
        auto login = http_get(w.sandbox_web().url("/index.php"));
        fmt::print("login page: HTTP {}, \"{}\"\n", login.status, greeting(login.body));
        expect(login.body.find(company_name) != std::string::npos, "the login page greets with prod's company");
        auto logo = http_get(w.sandbox_web().url("/viewimage.php?modulepart=mycompany&file=logos%2Flogo.png"));
        expect(logo.status == 200, "the company logo: HTTP " + std::to_string(logo.status));
        agent_reads(w, "after the refresh");

        fmt::print("\n== the agent works; nothing leaves the sandbox\n");
        w.sink().clear();
        w.listener().clear();
        w.sandbox().php_checked(php_script("send_mail.php"), {},
                                {{"APP_MAIL_TO", customer_address}, {"APP_MAIL_CC", "cfo@customer-two.example"}});
        fmt::print("Dolibarr mailed {} (cc a second customer); the SMTP sink received for:{}\n", customer_address,
                   recipients(w));
        expect(w.sink().recipients() == std::vector<std::string>{sink_address}, "only the sink mailbox got mail");
        expect(w.listener().requests().empty(), "the partner's webhook heard nothing");

        failures += step(w, "app-check: no live channel", {"app-check"}) != 0;
        w.model().sandbox_sql(
            "UPDATE llx_cronjob SET status = 1 WHERE methodename = 'sendEmailsRemindersOnInvoiceDueDate'");
        fmt::print("\n== someone re-enables the invoice reminder job in the sandbox\n");
        failures += step(w, "app-check: exit 3 expected", {"app-check"}) != 3;
        w.model().sandbox_sql(
            "UPDATE llx_cronjob SET status = 0 WHERE methodename = 'sendEmailsRemindersOnInvoiceDueDate'");

        failures += step(w, "capture the golden snapshot", {"snapshot", "create", "golden", "--replace"}) != 0;
        auto created = http({"POST", w.sandbox_web().url("/api/index.php/thirdparties"), w.agent_key(),
                             R"({"name": "Scenario Customer", "client": 1, "code_client": "-1"})"});
        fmt::print("\n== a BDD scenario creates a customer through the API: HTTP {}\n", created.status);
        failures += step(w, "reset to golden", {"reset", "golden"}) != 0;
        auto after = http({"GET", w.sandbox_web().url("/api/index.php/thirdparties?limit=50"), w.agent_key(), {}});
        expect(after.body.find("Scenario Customer") == std::string::npos, "the scenario's customer is gone");
        agent_reads(w, "after the reset");

        fmt::print("\n{}\n", failures == 0
                                 ? "Dolibarr demo finished: every step behaved as expected"
                                 : fmt::format("Dolibarr demo finished with {} unexpected result(s)", failures));
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "Dolibarr demo failed: " << e.what() << '\n';
        return 1;
    }
}
