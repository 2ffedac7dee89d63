// Issue 11, item 4: the Dolibarr sandbox proven with the real application.
// Prod is built by Dolibarr's own installer and PHP code; sandboxctl refreshes
// the sandbox with the [dolibarr] profile; then the sandbox instance is used
// as an agent would use it (web pages, REST API, cron, mail), while an SMTP
// sink and an HTTP listener stand where real customers and partners would be.
// The last test runs the same actions on prod, to show that the sink and the
// listener do see what a live instance sends.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/app_world.hpp"
#include "harness/cluster.hpp"
#include "harness/prerequisite.hpp"

namespace sandboxctl::test {
namespace {

class DolibarrApp : public ::testing::Test {
protected:
    void SetUp() override {
        std::string absent = app_unavailable_reason();
        if (absent.empty()) absent = Cluster::unavailable_reason();
        if (!absent.empty()) MISSING_PREREQUISITE() << "the Dolibarr application tests cannot run: " << absent;
        std::string failure;
        world_ = app_world(failure);
        ASSERT_NE(world_, nullptr) << failure;
    }

    AppWorld& world() { return *world_; }

    HttpResponse api(PhpServer& web, const std::string& key, const std::string& method, const std::string& path,
                     std::optional<std::string> json = std::nullopt) {
        return http({method, web.url("/api/index.php/" + path), key, std::move(json)});
    }
    HttpResponse sandbox_api(const std::string& method, const std::string& path,
                             std::optional<std::string> json = std::nullopt) {
        return api(world().sandbox_web(), world().agent_key(), method, path, std::move(json));
    }

    // Also: no secret of the world in what sandboxctl printed.
    void expect_ok(const ToolRun& run, const std::string& what) {
        EXPECT_EQ(run.exit_code, 0) << what << ":\n" << run.all();
        expect_no_secret(run, what);
    }
    void expect_no_secret(const ToolRun& run, const std::string& what) {
        for (const auto& secret : world().secrets()) {
            EXPECT_EQ(run.all().find(secret), std::string::npos) << what << " printed a secret";
        }
    }

    bool agent_exists() {
        return world().model().sandbox_sql("SELECT to_regclass('public.llx_user') IS NOT NULL") == "t\n" &&
               world().model().sandbox_sql("SELECT count(*) FROM llx_user WHERE login = 'ai_agent'") == "1\n";
    }

    // For a test run alone: the sandbox's agent, as the first test makes it.
    void give_the_sandbox_its_agent() {
        if (agent_exists()) return;
        if (world().model().sandbox_sql("SELECT to_regclass('public.llx_user') IS NOT NULL") != "t\n") {
            expect_ok(world().tool({"refresh"}), "first refresh");
        }
        world().sandbox().php_checked(php_script("create_agent.php"), {},
                                      {{"APP_AGENT_LOGIN", agent_login}, {"APP_AGENT_KEY", world().agent_key()}});
    }

    AppWorld* world_ = nullptr;
};

std::vector<std::string> names_of(const HttpResponse& response) {
    std::vector<std::string> names;
    auto list = nlohmann::json::parse(response.body, nullptr, false);
    if (!list.is_array()) return names;
    for (const auto& item : list) names.push_back(item.value("name", ""));
    return names;
}

bool contains(const std::vector<std::string>& list, const std::string& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

// The id of a draft invoice the agent may validate, or "" when none.
std::string a_draft_invoice(const HttpResponse& response) {
    auto list = nlohmann::json::parse(response.body, nullptr, false);
    if (!list.is_array()) return {};
    for (const auto& invoice : list) {
        if (invoice.value("statut", "") == "0" || invoice.value("status", "") == "0") return invoice.value("id", "");
    }
    return {};
}

std::string status_of_invoice(const HttpResponse& response) {
    auto invoice = nlohmann::json::parse(response.body, nullptr, false);
    return invoice.is_object() ? invoice.value("statut", invoice.value("status", "?")) : "?";
}

// Every recipient that is not the sandbox's sink mailbox: each one is a mail
// that would have reached a real person.
std::vector<std::string> real_recipients(const std::vector<std::string>& recipients) {
    std::vector<std::string> real;
    for (const auto& address : recipients) {
        if (address != sink_address) real.push_back(address);
    }
    return real;
}

std::string joined(const std::vector<std::string>& list) {
    std::string out;
    for (const auto& item : list) out += (out.empty() ? "" : ", ") + item;
    return out.empty() ? "(none)" : out;
}

// Runs Dolibarr's cron script in `instance` as its admin; the key is the one
// Dolibarr's own interface takes on its command line.
ProcessResult run_cron(const DolibarrInstance& instance, const std::string& cron_key) {
    return instance.php(instance.tree() / "scripts" / "cron" / "cron_run_jobs.php", {cron_key, "admin"});
}

ProcessResult send_mail(const DolibarrInstance& instance) {
    return instance.php(php_script("send_mail.php"), {},
                        {{"APP_MAIL_TO", customer_address}, {"APP_MAIL_CC", "cfo@customer-two.example"}});
}

TEST_F(DolibarrApp, SandboxServesProdDataAndReachesNobody) {
    auto& w = world();
    // The agent's user exists in the sandbox before the refresh that matters:
    // a first refresh gives the sandbox Dolibarr's tables, then the agent is
    // created there with the sandbox instance's own code and key.
    expect_ok(w.tool({"refresh"}), "first refresh");
    w.sandbox().php_checked(php_script("create_agent.php"), {},
                            {{"APP_AGENT_LOGIN", agent_login}, {"APP_AGENT_KEY", w.agent_key()}});
    ASSERT_EQ(sandbox_api("GET", "thirdparties?limit=1").status, 200) << "the agent works before the refresh";

    auto refreshed = w.tool({"refresh", "--json", "-"});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    expect_no_secret(refreshed, "refresh");
    auto synced = w.tool({"sync-files"});
    ASSERT_EQ(synced.exit_code, 0) << synced.all();

    // The sandbox shows prod: its company on the login page, its logo.
    auto login = http_get(w.sandbox_web().url("/index.php"));
    EXPECT_EQ(login.status, 200) << login.error;
    EXPECT_NE(login.body.find(company_name), std::string::npos) << "login page without prod's company name";
    auto logo = http_get(w.sandbox_web().url("/viewimage.php?modulepart=mycompany&file=logos%2Flogo.png"));
    EXPECT_EQ(logo.status, 200);
    EXPECT_EQ(logo.body.substr(0, 4), "\x89PNG");

    // The kept agent reads prod's data; prod's agent key opens nothing.
    auto customers = sandbox_api("GET", "thirdparties?sortfield=t.rowid&limit=50");
    EXPECT_EQ(customers.status, 200) << customers.body;
    EXPECT_TRUE(contains(names_of(customers), "Customer One")) << customers.body;
    EXPECT_EQ(api(w.sandbox_web(), w.prod_agent_key(), "GET", "thirdparties").status, 401);

    // The re-keyed SMTP password decrypts with the sandbox's instance id.
    auto secret =
        w.sandbox().php_checked(php_script("check_secret.php"), {},
                                {{"APP_CONST_NAME", "MAIN_MAIL_SMTPS_PW"}, {"APP_EXPECTED", w.smtp_password()}});
    EXPECT_EQ(secret, "decrypts\n");

    // Cron, an invoice validated through the API (notification and webhook
    // triggers) and a mail sent by Dolibarr's mailer reach no real recipient.
    w.sink().clear();
    w.listener().clear();
    std::string sandbox_cron_key = new_instance_id();
    w.sandbox().php_checked(php_script("set_const.php"), {},
                            {{"APP_CONST_NAME", "CRON_KEY"}, {"APP_CONST_VALUE", sandbox_cron_key}});
    auto cron = run_cron(w.sandbox(), sandbox_cron_key);
    EXPECT_EQ(cron.exit_status, 0) << cron.out << cron.err;
    std::string draft = a_draft_invoice(sandbox_api("GET", "invoices?limit=50"));
    ASSERT_FALSE(draft.empty()) << "no draft invoice to validate in the sandbox";
    auto validated = sandbox_api("POST", "invoices/" + draft + "/validate", R"({"idwarehouse": 0, "notrigger": 0})");
    EXPECT_EQ(validated.status, 200) << validated.body;
    auto modified = sandbox_api("PUT", "thirdparties/1", R"({"phone": "+33 1 00 00 00 01"})");
    EXPECT_EQ(modified.status, 200) << modified.body;
    auto mailed = send_mail(w.sandbox());
    EXPECT_EQ(mailed.exit_status, 0) << mailed.out << mailed.err;
    EXPECT_EQ(real_recipients(w.sink().recipients()), std::vector<std::string>{})
        << "mail reached real recipients from the sandbox";
    EXPECT_TRUE(contains(w.sink().recipients(), sink_address))
        << "Dolibarr's mailer sent nothing to the sink either: " << mailed.out;
    EXPECT_EQ(w.listener().requests(), std::vector<std::string>{}) << "a webhook fired from the sandbox";

    // app-check agrees, and notices a job switched back on.
    expect_ok(w.tool({"app-check"}), "app-check on the refreshed sandbox");
    w.model().sandbox_sql(
        "UPDATE llx_cronjob SET status = 1 WHERE methodename = 'sendEmailsRemindersOnInvoiceDueDate'");
    auto live = w.tool({"app-check"});
    EXPECT_EQ(live.exit_code, 3) << live.all();
    expect_no_secret(live, "app-check");
    EXPECT_NE(live.all().find("cronjob"), std::string::npos) << live.all();
    w.model().sandbox_sql(
        "UPDATE llx_cronjob SET status = 0 WHERE methodename = 'sendEmailsRemindersOnInvoiceDueDate'");

    // A second refresh keeps the agent working.
    expect_ok(w.tool({"refresh"}), "second refresh");
    EXPECT_EQ(sandbox_api("GET", "thirdparties").status, 200);
    EXPECT_EQ(api(w.sandbox_web(), w.prod_agent_key(), "GET", "thirdparties").status, 401);
}

TEST_F(DolibarrApp, ScenarioThroughTheApiThenResetToGolden) {
    auto& w = world();
    give_the_sandbox_its_agent();
    expect_ok(w.tool({"refresh"}), "refresh");
    auto golden = w.tool({"snapshot", "create", "golden", "--replace"});
    ASSERT_EQ(golden.exit_code, 0) << golden.all();
    std::string draft = a_draft_invoice(sandbox_api("GET", "invoices?limit=50"));
    ASSERT_FALSE(draft.empty());

    // A BDD-style scenario: a new customer and a validated invoice.
    auto created =
        sandbox_api("POST", "thirdparties", R"({"name": "Scenario Customer", "client": 1, "code_client": "-1"})");
    EXPECT_EQ(created.status, 200) << created.body;
    auto validated = sandbox_api("POST", "invoices/" + draft + "/validate", R"({"idwarehouse": 0, "notrigger": 0})");
    EXPECT_EQ(validated.status, 200) << validated.body;
    ASSERT_TRUE(contains(names_of(sandbox_api("GET", "thirdparties?limit=50")), "Scenario Customer"));
    ASSERT_EQ(status_of_invoice(sandbox_api("GET", "invoices/" + draft)), "1");

    auto reset = w.tool({"reset", "golden"});
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    auto after = sandbox_api("GET", "thirdparties?limit=50");
    EXPECT_EQ(after.status, 200) << "the agent lost its access with the reset: " << after.body;
    EXPECT_FALSE(contains(names_of(after), "Scenario Customer"));
    EXPECT_TRUE(contains(names_of(after), "Customer One"));
    EXPECT_EQ(status_of_invoice(sandbox_api("GET", "invoices/" + draft)), "0");
    expect_ok(w.tool({"app-check"}), "app-check after the reset");
}

// Issue 21: the same sandbox with [dolibarr] masking = "personal". The real
// application serves masked third parties to the kept agent, which still
// logs in (its row is the sandbox's own), and mail still reaches only the
// sink; verify-style proof comes from mask-check.
TEST_F(DolibarrApp, MaskedSandboxServesMaskedCustomersToTheKeptAgent) {
    auto& w = world();
    give_the_sandbox_its_agent();
    expect_ok(w.tool_masked({"refresh"}), "masked refresh");
    auto customers = sandbox_api("GET", "thirdparties?sortfield=t.rowid&limit=50");
    ASSERT_EQ(customers.status, 200) << "the kept agent cannot log in: " << customers.body;
    auto names = names_of(customers);
    ASSERT_FALSE(names.empty()) << customers.body;
    EXPECT_FALSE(contains(names, "Customer One")) << customers.body;
    EXPECT_FALSE(contains(names, company_name)) << customers.body;
    EXPECT_EQ(customers.body.find("customer-one.example"), std::string::npos) << customers.body;
    auto list = nlohmann::json::parse(customers.body, nullptr, false);
    for (const auto& customer : list) {
        auto email = customer.value("email", "");
        EXPECT_TRUE(email.empty() || email.ends_with("@example.invalid")) << email;
    }
    // Dolibarr's own mailer, to prod's customer: only the sink receives it.
    w.sink().clear();
    auto mailed = send_mail(w.sandbox());
    EXPECT_EQ(mailed.exit_status, 0) << mailed.out << mailed.err;
    EXPECT_EQ(real_recipients(w.sink().recipients()), std::vector<std::string>{});
    EXPECT_TRUE(contains(w.sink().recipients(), sink_address)) << mailed.out;
    auto checked = w.tool_masked({"mask-check"});
    EXPECT_EQ(checked.exit_code, 0) << checked.all();
    expect_no_secret(checked, "mask-check");
}

// The control: the same actions on prod, and a mail from a sandbox refreshed
// without the profile, do reach the customer's mailbox and the partner's
// webhook, so the sandbox's silence above is the profile's work. Last in the
// file: it runs prod's reminder job, validates a prod invoice and leaves the
// sandbox a plain copy.
TEST_F(DolibarrApp, ControlTheSameActionsOnProdReachTheWorld) {
    auto& w = world();
    w.sink().clear();
    w.listener().clear();
    // Dolibarr 23's webhook trigger closes the process's database connection
    // after it runs, so prod's cron script may end in an error once the
    // reminder is out; what left prod is the point.
    auto cron = run_cron(w.prod(), w.prod_cron_key());
    EXPECT_TRUE(contains(w.sink().recipients(), customer_address))
        << "prod's reminder job mailed: " << joined(w.sink().recipients()) << "\n"
        << cron.out;

    std::string draft = a_draft_invoice(api(w.prod_web(), w.prod_agent_key(), "GET", "invoices?limit=50"));
    ASSERT_FALSE(draft.empty());
    // The same bug makes prod answer 500 here, after the webhook posted the
    // invoice's agenda event (ACTION_CREATE) and before the notification.
    auto validated = api(w.prod_web(), w.prod_agent_key(), "POST", "invoices/" + draft + "/validate",
                         R"({"idwarehouse": 0, "notrigger": 0})");
    EXPECT_TRUE(contains(w.listener().requests(), "POST /hook")) << joined(w.listener().requests()) << "\n"
                                                                 << validated.status << " " << validated.body;

    // And a sandbox refreshed without the profile mails the customer too.
    auto plain = w.tool_without_profile({"refresh"});
    ASSERT_EQ(plain.exit_code, 0) << plain.all();
    w.sink().clear();
    auto mailed = send_mail(w.sandbox());
    EXPECT_TRUE(contains(w.sink().recipients(), customer_address))
        << "a plain copy mailed: " << joined(w.sink().recipients()) << "\n"
        << mailed.out << mailed.err;
}

}  // namespace
}  // namespace sandboxctl::test
