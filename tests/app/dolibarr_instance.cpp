#include "app/dolibarr_instance.hpp"

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>

#include "app/quoting.hpp"
#include "harness/prerequisite.hpp"
#include "harness/tool.hpp"

namespace sandboxctl::test {
namespace {

namespace fs = std::filesystem;

fs::path tarball() { return shared_dir() / "apps" / "dolibarr-23.0.0-beta.tar.xz"; }

bool on_path(const std::string& program) {
    return run_process({{"sh", "-c", "command -v \"$0\" >/dev/null", program}, {}}).succeeded();
}

// The tarball unpacked once per test process; instances hard-link to it.
const fs::path& unpacked_tree() {
    static fs::path tree;
    static std::once_flag once;
    std::call_once(once, [] {
        fs::path into = run_dir() / "dolibarr-source";
        fs::create_directories(into);
        auto result = run_process({{"tar", "-xJf", tarball().string(), "-C", into.string()}, {}});
        if (!result.succeeded()) throw std::runtime_error("could not unpack " + tarball().string() + ": " + result.err);
        tree = into / "dolibarr-23.0.0-beta";
    });
    return tree;
}

}  // namespace

std::string app_unavailable_reason() {
    if (!fs::exists(tarball())) return "Dolibarr not found at " + tarball().string() + " (it lives in ../shared/apps)";
    for (const char* program : {"php", "curl", "tar"}) {
        if (!on_path(program)) return std::string(program) + " is not installed (scripts/setup.sh installs it)";
    }
    return {};
}

fs::path php_script(const std::string& name) { return fs::path(SANDBOXCTL_TEST_SOURCE_DIR) / "app" / "php" / name; }

DolibarrInstance::DolibarrInstance(const fs::path& base, const std::string& name, int web_port)
    : tree_(base / name), documents_(base / (name + "-documents")), web_port_(web_port) {
    fs::copy(unpacked_tree(), tree_, fs::copy_options::recursive | fs::copy_options::create_hard_links);
    fs::create_directories(documents_);
}

void DolibarrInstance::install(const DatabaseLogin& login, const std::string& admin_password) const {
    // step1 writes into an existing, writable conf.php only.
    std::ofstream(conf_php()).close();
    fs::path install_dir = htdocs() / "install";
    auto step = [&](std::vector<std::string> argv) {
        argv.insert(argv.begin(), {"env", "-C", install_dir.string(), "php"});
        auto result = run_process({argv, {}});
        if (!result.succeeded()) {
            throw std::runtime_error("Dolibarr's installer " + argv[4] + " failed (exit " +
                                     std::to_string(result.exit_status) + "): " + result.out.substr(0, 4000) +
                                     result.err);
        }
    };
    step({"step1.php", "set", "auto", htdocs().string(), documents_.string(),
          "http://127.0.0.1:" + std::to_string(web_port_), "", "", "pgsql", "127.0.0.1", login.database, login.user,
          login.password, std::to_string(login.port), "llx_", "0", "0"});
    step({"step2.php", "set", "auto"});
    step({"step5.php", "0", "0", "auto", "set", "admin", admin_password, admin_password});
}

void DolibarrInstance::write_conf(const DatabaseLogin& login, const std::string& instance_id) const {
    fs::remove(conf_php());  // a hard link would write into the other instance's file
    std::ofstream out(conf_php());
    auto set = [&](const std::string& name, const std::string& value) {
        out << "$dolibarr_" << name << " = " << backslash_quoted(value, '\'') << ";\n";
    };
    out << "<?php\n// Written by the sandboxctl application tests: the sandbox instance.\n";
    set("main_url_root", "http://127.0.0.1:" + std::to_string(web_port_));
    set("main_document_root", htdocs().string());
    set("main_url_root_alt", "/custom");
    set("main_document_root_alt", (htdocs() / "custom").string());
    set("main_data_root", documents_.string());
    set("main_db_host", "127.0.0.1");
    set("main_db_port", std::to_string(login.port));
    set("main_db_name", login.database);
    set("main_db_prefix", "llx_");
    set("main_db_user", login.user);
    set("main_db_pass", login.password);
    set("main_db_type", "pgsql");
    set("main_db_character_set", "UTF8");
    set("main_db_collation", "C.UTF-8");
    set("main_authentication", "dolibarr");
    set("main_prod", "0");
    set("main_force_https", "0");
    set("nocsrfcheck", "0");
    set("main_instance_unique_id", instance_id);
    set("mailing_limit_sendbyweb", "0");
    set("mailing_limit_sendbycli", "0");
    set("main_distrib", "standard");
    out.close();
    if (!out) throw std::runtime_error("could not write " + conf_php().string());
}

ProcessResult DolibarrInstance::php(const fs::path& script, const std::vector<std::string>& args,
                                    const Environment& environment) const {
    std::vector<std::string> argv = {"env", "-C", htdocs().string(), "php", script.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process({argv, environment});
}

std::string DolibarrInstance::php_checked(const fs::path& script, const std::vector<std::string>& args,
                                          const Environment& environment) const {
    auto result = php(script, args, environment);
    if (!result.succeeded()) {
        throw std::runtime_error(script.filename().string() + " failed in " + tree_.filename().string() + " (exit " +
                                 std::to_string(result.exit_status) + "): " + result.out + result.err);
    }
    return result.out;
}

std::string new_instance_id() {
    std::random_device random;
    std::uniform_int_distribution<int> digit(0, 15);
    std::string id;
    for (int i = 0; i < 32; ++i) id += "0123456789abcdef"[digit(random)];
    return id;
}

}  // namespace sandboxctl::test
