#pragma once
// One Dolibarr instance of the real application (../shared/apps): its own
// tree (hard links to one unpacked copy, so that each instance's
// htdocs/conf/conf.php is its own file), its own documents directory, and
// PHP scripts run against it from the command line.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "core/process.hpp"

namespace sandboxctl::test {

// Why the application tests cannot run here ("" when they can): the shared
// Dolibarr tarball, php or curl is missing.
std::string app_unavailable_reason();

// A script of tests/app/php.
std::filesystem::path php_script(const std::string& name);

struct DatabaseLogin {
    int port = 0;  // PostgreSQL on 127.0.0.1 (PHP connects over TCP with a password)
    std::string database;
    std::string user;
    std::string password;
};

using Environment = std::vector<std::pair<std::string, std::string>>;

class DolibarrInstance {
public:
    // The tree goes to base/name, the documents to base/name-documents; the
    // web server of this instance will listen on web_port.
    DolibarrInstance(const std::filesystem::path& base, const std::string& name, int web_port);

    const std::filesystem::path& tree() const { return tree_; }
    std::filesystem::path htdocs() const { return tree_ / "htdocs"; }
    const std::filesystem::path& documents() const { return documents_; }
    std::filesystem::path conf_php() const { return htdocs() / "conf" / "conf.php"; }
    int web_port() const { return web_port_; }

    // Dolibarr's own installer from the command line: step1 writes conf.php
    // (with a new instance id), step2 creates the tables, step5 the first
    // admin user "admin".
    void install(const DatabaseLogin& login, const std::string& admin_password) const;
    // A conf.php for a database that already holds Dolibarr (the sandbox):
    // this instance's paths, `login`, and its own instance id.
    void write_conf(const DatabaseLogin& login, const std::string& instance_id) const;

    // Runs a PHP file with this instance's htdocs as the working directory
    // (where Dolibarr looks for conf/conf.php first). Parameters that may be
    // secrets go in `environment`.
    ProcessResult php(const std::filesystem::path& script, const std::vector<std::string>& args = {},
                      const Environment& environment = {}) const;
    // The same; a non-zero exit throws with the script's output.
    std::string php_checked(const std::filesystem::path& script, const std::vector<std::string>& args = {},
                            const Environment& environment = {}) const;

private:
    std::filesystem::path tree_;
    std::filesystem::path documents_;
    int web_port_ = 0;
};

// 32 random hex characters, the form Dolibarr's installer gives an instance id.
std::string new_instance_id();

}  // namespace sandboxctl::test
