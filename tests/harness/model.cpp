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
    cluster_.psql("postgres", "CREATE DATABASE \"" + sandbox_ + "\" OWNER sbx_sandbox_owner");
}

namespace {

// The template databases made so far, by cluster and key. A process makes
// each afresh (an attached cluster may hold an older process's).
std::string template_database(Cluster& cluster, const std::string& key, const Model::Loader& load) {
    static std::mutex mutex;
    static std::set<std::pair<const Cluster*, std::string>> made;
    std::string name = "sbx_template_" + key;
    std::lock_guard lock(mutex);
    if (made.contains({&cluster, key})) return name;
    cluster.psql("postgres", "DROP DATABASE IF EXISTS \"" + name + "\" WITH (FORCE)");
    cluster.psql("postgres", "CREATE DATABASE \"" + name + "\" OWNER sbx_app");
    cluster.psql_file(name, sql_dir() / "provisioner.sql");
    if (load) load(cluster, name);
    // Nobody connects to a template afterwards, by mistake or otherwise: a
    // write would reach every later test, a session would block the copies.
    cluster.psql("postgres", "ALTER DATABASE \"" + name + "\" WITH ALLOW_CONNECTIONS false");
    made.insert({&cluster, key});
    return name;
}

}  // namespace

void Model::make_prod(const std::string& key, const Loader& load) const {
    std::string source = template_database(prod_cluster_, key, load);
    prod_cluster_.psql("postgres", "CREATE DATABASE \"" + prod_ + "\" TEMPLATE \"" + source + "\" OWNER sbx_app");
    prod_made_ = true;
}

const std::string& Model::prod() const {
    if (!prod_made_) make_prod("base", {});
    return prod_;
}

std::string Model::source() const { return prod_cluster_.login_conninfo("sbx_dump", dump_password, prod()); }
std::string Model::target() const { return cluster_.login_conninfo("sbx_sandbox_login", sandbox_password, sandbox_); }

void Model::load_prod(const std::string& sql_file) {
    load_prod_cloned(
        std::filesystem::path(sql_file).stem().string(),
        [&](Cluster& cluster, const std::string& database) { cluster.psql_file(database, sql_dir() / sql_file); });
}

void Model::load_prod_cloned(const std::string& key, const Loader& load) {
    if (prod_made_) {
        load(prod_cluster_, prod_);
    } else {
        make_prod(key, load);
    }
}

}  // namespace sandboxctl::test
