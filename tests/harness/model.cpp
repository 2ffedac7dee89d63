#include "harness/model.hpp"

#include <mutex>

namespace sandboxctl::test {
namespace {

void ensure_roles(Cluster& cluster) {
    static std::once_flag once;
    std::call_once(once, [&] { cluster.psql_file("postgres", sql_dir() / "roles.sql"); });
}

}  // namespace

std::filesystem::path sql_dir() { return std::filesystem::path(SANDBOXCTL_TEST_SOURCE_DIR) / "sql"; }

Model::Model(Cluster& cluster, const std::string& name)
    : cluster_(cluster), prod_(name + "_prod"), sandbox_(name + "_sandbox") {
    ensure_roles(cluster_);
    for (const auto& db : {prod_, sandbox_})
        cluster_.psql("postgres", "DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
    cluster_.psql("postgres", "CREATE DATABASE \"" + prod_ + "\" OWNER sbx_app");
    cluster_.psql("postgres", "CREATE DATABASE \"" + sandbox_ + "\" OWNER sbx_sandbox_owner");
    cluster_.psql_file(prod_, sql_dir() / "provisioner.sql");
}

std::string Model::source() const { return cluster_.login_conninfo("sbx_dump", dump_password, prod_); }
std::string Model::target() const { return cluster_.login_conninfo("sbx_sandbox_login", sandbox_password, sandbox_); }

void Model::load_prod(const std::string& sql_file) { cluster_.psql_file(prod_, sql_dir() / sql_file); }

}  // namespace sandboxctl::test
