#include "app/app_world.hpp"

#include <fstream>
#include <regex>

#include "app/quoting.hpp"
#include "harness/cluster.hpp"

namespace sandboxctl::test {
namespace {

// Prod's web login: a member of the app role that owns prod, working as that
// role (SET role) so that the tables Dolibarr's installer creates belong to
// sbx_app, as the privilege model wants.
constexpr const char* web_role = "sbx_app_web";
constexpr const char* web_password = "web-Secret-3b8d";
constexpr const char* admin_password = "admin-Secret-1e4f";

void ensure_web_role(Cluster& cluster) {
    cluster.psql("postgres", std::string("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '") +
                                 web_role + "') THEN CREATE ROLE " + web_role + " LOGIN PASSWORD '" + web_password +
                                 "' IN ROLE sbx_app; ALTER ROLE " + web_role + " SET role = 'sbx_app'; END IF; END $$");
}

}  // namespace

AppWorld::AppWorld() {
    Cluster& cluster = Cluster::shared();
    // One atomic refresh of Dolibarr's ~270 tables takes about 10,000 locks,
    // twice the default lock table of this small cluster: the preflight warns,
    // and a refresh may fail with "out of shared memory". Raised as the
    // warning advises (the restart happens before anything uses the port).
    cluster.psql("postgres", "ALTER SYSTEM SET max_locks_per_transaction = 256");
    cluster.restart();
    model_ = std::make_unique<Model>(cluster, "dolibarr_app");
    ensure_web_role(cluster);
    prod_ = std::make_unique<DolibarrInstance>(dir_.path(), "prod", free_loopback_port());
    sandbox_ = std::make_unique<DolibarrInstance>(dir_.path(), "sandbox", free_loopback_port());
    build_prod();
    sandbox_->write_conf({cluster.port(), model_->sandbox(), "sbx_sandbox_login", sandbox_password}, new_instance_id());
    prod_web_ = std::make_unique<PhpServer>(prod_->htdocs(), prod_->web_port(), dir_ / "prod-web.log");
    sandbox_web_ = std::make_unique<PhpServer>(sandbox_->htdocs(), sandbox_->web_port(), dir_ / "sandbox-web.log");
    write_config();
}

AppWorld::~AppWorld() = default;

void AppWorld::build_prod() {
    prod_->install({model_->cluster().port(), model_->prod(), web_role, web_password}, admin_password);
    prod_->php_checked(php_script("setup_prod.php"), {},
                       {{"APP_COMPANY", company_name},
                        {"APP_SMTP_PORT", std::to_string(sink_.port())},
                        {"APP_SMTP_PASSWORD", smtp_password_},
                        {"APP_CRON_KEY", prod_cron_key_},
                        {"APP_AGENT_LOGIN", prod_agent_login},
                        {"APP_AGENT_KEY", prod_agent_key_},
                        {"APP_WEBHOOK_URL", listener_.url("/hook")}});
}

void AppWorld::write_config() {
    std::string files = "[[files.pair]]\nfrom = " + backslash_quoted(prod_->documents().string(), '"') +
                        "\nto = " + backslash_quoted(sandbox_->documents().string(), '"') + "\n";
    config_ = dir_ / "sandboxctl.toml";
    std::string dolibarr = "[dolibarr]\nsandbox_conf = " + backslash_quoted(sandbox_->conf_php().string(), '"') +
                           "\nprod_conf = " + backslash_quoted(prod_->conf_php().string(), '"') +
                           "\nrekey = [\"MAIN_MAIL_SMTPS_PW\"]\nkeep_users = [\"" + agent_login +
                           "\"]\nmail = \"sink:localhost:" + std::to_string(sink_.port()) + ":" + sink_address + "\"\n";
    std::ofstream(config_) << dolibarr << "\n" << files;
    masked_config_ = dir_ / "sandboxctl-masked.toml";
    // Dolibarr's own scripts (send_mail.php) act as admin: kept, so its login stays.
    auto kept =
        std::regex_replace(dolibarr, std::regex("keep_users = \\[([^\\]]*)\\]"), "keep_users = [$1, \"admin\"]");
    std::ofstream(masked_config_) << kept << "masking = \"personal\"\n\n[masking]\nkey_file = "
                                  << backslash_quoted((dir_ / "masking.key").string(), '"') << "\nstrict = true\n\n"
                                  << files;
    plain_config_ = dir_ / "sandboxctl-without-profile.toml";
    std::ofstream(plain_config_) << files;
}

ToolRun AppWorld::tool_with(const std::filesystem::path& config, std::vector<std::string> args) const {
    const std::string command = args.front();
    args.insert(args.end(), {"--config", config.string()});
    if (command == "refresh" || command == "reset" || command == "snapshot") {
        args.insert(args.end(), {"--snapshot-dir", snapshot_dir()});
    }
    // The connection strings hold passwords: in the environment, as the
    // manual advises, never on the command line.
    auto env = state_env();
    env.insert(env.end(), {{"SANDBOXCTL_SOURCE", model_->source()}, {"SANDBOXCTL_TARGET", model_->target()}});
    return run_tool(args, env);
}

std::vector<std::string> AppWorld::secrets() const {
    std::smatch prod_id;
    std::string prod_conf = read_file(prod_->conf_php());
    std::regex_search(prod_conf, prod_id, std::regex("dolibarr_main_instance_unique_id\\s*=\\s*'([0-9a-f]+)'"));
    return {prod_id.size() > 1 ? prod_id[1].str() : "(prod instance id not found)",
            prod_agent_key_,
            agent_key_,
            smtp_password_,
            prod_cron_key_,
            sandbox_instance_id_,
            web_password,
            sandbox_password,
            dump_password};
}

AppWorld* app_world(std::string& reason) {
    static std::unique_ptr<AppWorld> world;
    static std::string failure;
    static bool tried = false;
    if (!tried) {
        tried = true;
        failure = app_unavailable_reason();
        if (failure.empty()) failure = Cluster::unavailable_reason();
        if (failure.empty()) {
            try {
                world = std::make_unique<AppWorld>();
                std::atexit([] { world.reset(); });
            } catch (const std::exception& e) {
                failure = std::string("could not build the Dolibarr world: ") + e.what();
            }
        }
    }
    reason = failure;
    return world.get();
}

}  // namespace sandboxctl::test
