#pragma once
// The reference privilege model, built in the test cluster: a prod database
// owned by an app role whose login member is the read-only dump user, a
// provisioner-owned function and unreadable table in prod, and a sandbox
// database owned by a NOLOGIN, non-superuser, no-CREATEDB role with a login
// member. Each Model gets its own pair of databases, on one cluster or, for
// the cross-server tests, prod on one and the sandbox on another.
//
// Prod is made when first needed, as a copy (CREATE DATABASE ... TEMPLATE) of
// a template database built once per cluster and test process: the
// provisioner's objects, and the fixture load_prod names. A test pays for a
// copy, not for loading its fixture again.
#include <filesystem>
#include <functional>
#include <string>

#include "harness/cluster.hpp"

namespace sandboxctl::test {

inline constexpr const char* app_role = "sbx_app";
inline constexpr const char* sandbox_role = "sbx_sandbox_owner";
inline constexpr const char* dump_password = "dump-Secret-7f3a";
inline constexpr const char* sandbox_password = "sandbox-Secret-91c2";
inline constexpr const char* superuser_password = "super-Secret-55e1";

std::filesystem::path sql_dir();

class Model {
public:
    // Creates `<name>_prod` and `<name>_sandbox` (dropping leftovers).
    Model(Cluster& cluster, const std::string& name);
    // Prod on `prod_cluster`, the sandbox on `sandbox_cluster`.
    Model(Cluster& prod_cluster, Cluster& sandbox_cluster, const std::string& name);

    Cluster& cluster() { return cluster_; }  // the sandbox's (and, made with one cluster, prod's)
    Cluster& prod_cluster() const { return prod_cluster_; }
    const std::string& prod() const;
    const std::string& sandbox() const { return sandbox_; }

    std::string source() const;  // dump login, password inside
    std::string target() const;  // sandbox login, password inside

    // Prod holding a file under tests/sql (as a copy of its template database).
    void load_prod(const std::string& sql_file);
    // Prod as a copy of the template database `key`, which `load` fills with
    // SQL run as superuser (after provisioner.sql) the first time a test of
    // this process asks for it. On a prod already made, `load` runs in it.
    using Loader = std::function<void(Cluster& cluster, const std::string& database)>;
    void load_prod_cloned(const std::string& key, const Loader& load);
    std::string prod_sql(const std::string& sql) { return prod_cluster_.psql(prod(), sql); }
    std::string sandbox_sql(const std::string& sql) { return cluster_.psql(sandbox_, sql); }

private:
    void make_prod(const std::string& key, const Loader& load) const;

    Cluster& prod_cluster_;
    Cluster& cluster_;
    std::string prod_;
    std::string sandbox_;
    mutable bool prod_made_ = false;
};

}  // namespace sandboxctl::test
