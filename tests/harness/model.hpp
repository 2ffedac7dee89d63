#pragma once
// The reference privilege model, built in the test cluster: a prod database
// owned by an app role whose login member is the read-only dump user, a
// provisioner-owned function and unreadable table in prod, and a sandbox
// database owned by a NOLOGIN, non-superuser, no-CREATEDB role with a login
// member. Each Model gets its own pair of databases, on one cluster or, for
// the cross-server tests, prod on one and the sandbox on another.
#include <filesystem>
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
    const std::string& prod() const { return prod_; }
    const std::string& sandbox() const { return sandbox_; }

    std::string source() const;  // dump login, password inside
    std::string target() const;  // sandbox login, password inside

    void load_prod(const std::string& sql_file);  // a file under tests/sql
    std::string prod_sql(const std::string& sql) { return prod_cluster_.psql(prod_, sql); }
    std::string sandbox_sql(const std::string& sql) { return cluster_.psql(sandbox_, sql); }

private:
    Cluster& prod_cluster_;
    Cluster& cluster_;
    std::string prod_;
    std::string sandbox_;
};

}  // namespace sandboxctl::test
