#pragma once
// The world of the application suite, built once per test process: a prod
// Dolibarr installed by its own installer inside the privilege model and
// filled with a company, customers, invoices, a logo, an agent, SMTP, a
// reminder job, a webhook and live Stripe; a sandbox instance with its own
// conf.php and instance id; both served by PHP's web server; the SMTP sink
// and HTTP listener that prod's channels point at; the sandboxctl config.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/dolibarr_instance.hpp"
#include "app/http_client.hpp"
#include "app/http_listener.hpp"
#include "app/php_server.hpp"
#include "app/smtp_sink.hpp"
#include "core/temp_dir.hpp"
#include "harness/model.hpp"
#include "harness/tool.hpp"

namespace sandboxctl::test {

inline constexpr const char* sink_address = "sink@sandbox.test";
inline constexpr const char* company_name = "Prod Company SA";
inline constexpr const char* agent_login = "ai_agent";
inline constexpr const char* prod_agent_login = "prod_agent";
// Prod's customers (tests/app/php/setup_prod.php): real people's mailboxes.
inline constexpr const char* customer_address = "accounts@customer-one.example";

class AppWorld {
public:
    // Throws with the reason when the world cannot be built.
    AppWorld();
    ~AppWorld();
    AppWorld(const AppWorld&) = delete;
    AppWorld& operator=(const AppWorld&) = delete;

    Model& model() { return *model_; }
    DolibarrInstance& prod() { return *prod_; }
    DolibarrInstance& sandbox() { return *sandbox_; }
    PhpServer& prod_web() { return *prod_web_; }
    PhpServer& sandbox_web() { return *sandbox_web_; }
    SmtpSink& sink() { return sink_; }
    HttpListener& listener() { return listener_; }

    const std::string& prod_agent_key() const { return prod_agent_key_; }
    const std::string& agent_key() const { return agent_key_; }
    const std::string& smtp_password() const { return smtp_password_; }
    const std::string& prod_cron_key() const { return prod_cron_key_; }

    // The config with the [dolibarr] profile and the documents pair.
    const std::filesystem::path& config() const { return config_; }
    std::string snapshot_dir() const { return (dir_ / "snapshots").string(); }

    // sandboxctl with the config, this world's snapshot store, and the
    // model's source and target (in the environment).
    ToolRun tool(std::vector<std::string> args) const { return tool_with(config_, std::move(args)); }
    // The same with masking = "personal" in [dolibarr] (issue 21).
    ToolRun tool_masked(std::vector<std::string> args) const { return tool_with(masked_config_, std::move(args)); }
    // The same with a config that has no [dolibarr] section: a plain copy.
    ToolRun tool_without_profile(std::vector<std::string> args) const {
        return tool_with(plain_config_, std::move(args));
    }
    // Every secret of this world (keys, passwords, the sandbox's instance
    // id): none may appear in sandboxctl's output.
    std::vector<std::string> secrets() const;

private:
    void build_prod();
    void write_config();
    ToolRun tool_with(const std::filesystem::path& config, std::vector<std::string> args) const;

    TempDir dir_{"sandboxctl-app"};
    SmtpSink sink_;
    HttpListener listener_;
    std::unique_ptr<Model> model_;
    std::unique_ptr<DolibarrInstance> prod_;
    std::unique_ptr<DolibarrInstance> sandbox_;
    std::unique_ptr<PhpServer> prod_web_;
    std::unique_ptr<PhpServer> sandbox_web_;
    std::string prod_agent_key_ = new_instance_id();
    std::string agent_key_ = new_instance_id();
    std::string smtp_password_ = new_instance_id();
    std::string prod_cron_key_ = new_instance_id();
    std::string sandbox_instance_id_ = new_instance_id();
    std::filesystem::path config_;
    std::filesystem::path plain_config_;
    std::filesystem::path masked_config_;
};

// The suite's world, built on first use; nullptr and `reason` set when the
// application cannot run here or the build failed.
AppWorld* app_world(std::string& reason);

}  // namespace sandboxctl::test
