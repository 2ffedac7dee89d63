#include "harness/model.hpp"

#include <mutex>
#include <set>

namespace sandboxctl::test {
namespace {

// Once per cluster and process (roles.sql is idempotent, but not free).
void ensure_roles(Cluster& cluster) {
    static std::mutex mutex;
    static std::set<const Cluster*> done;
    std::lock_guard lock(mutex);
    if (done.insert(&cluster).second) cluster.psql_file("postgres", sql_dir() / "roles.sql");
}

}  // namespace

std::filesystem::path sql_dir() { return std::filesystem::path(SANDBOXCTL_TEST_SOURCE_DIR) / "sql"; }

Model::Model(Cluster& cluster, const std::string& name) : Model(cluster, cluster, name) {}

Model::Model(Cluster& prod_cluster, Cluster& sandbox_cluster, const std::string& name)
    : prod_cluster_(prod_cluster), cluster_(sandbox_cluster), prod_(name + "_prod"), sandbox_(name + "_sandbox") {
    ensure_roles(prod_cluster_);
    ensure_roles(cluster_);
    for (const auto& [cluster, db] : {std::pair{&prod_cluster_, prod_}, std::pair{&cluster_, sandbox_}})
        cluster->psql("postgres", "DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
    prod_cluster_.psql("postgres", "CREATE DATABASE \"" + prod_ + "\" OWNER sbx_app");
    cluster_.psql("postgres", "CREATE DATABASE \"" + sandbox_ + "\" OWNER sbx_sandbox_owner");
    prod_cluster_.psql_file(prod_, sql_dir() / "provisioner.sql");
}

std::string Model::source() const { return prod_cluster_.login_conninfo("sbx_dump", dump_password, prod_); }
std::string Model::target() const { return cluster_.login_conninfo("sbx_sandbox_login", sandbox_password, sandbox_); }

void Model::load_prod(const std::string& sql_file) { prod_cluster_.psql_file(prod_, sql_dir() / sql_file); }

}  // namespace sandboxctl::test
