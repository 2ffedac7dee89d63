#include "harness/pg_test.hpp"

#include "harness/prerequisite.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace sandboxctl::test {

void PgTest::SetUp() {
    std::string reason = Cluster::unavailable_reason();
    if (reason.empty()) return;
    MISSING_PREREQUISITE() << "no PostgreSQL: " << reason;
}

std::string PgTest::test_name() const {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = std::string(info->test_suite_name()) + "_" + info->name();
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return std::isalnum(c) ? static_cast<char>(std::tolower(c)) : '_'; });
    return name.substr(0, 50);
}

std::unique_ptr<Model> PgTest::adversarial_model() {
    auto model = std::make_unique<Model>(cluster(), test_name());
    model->load_prod("adversarial.sql");
    return model;
}

ToolRun PgTest::refresh(const Model& model, std::vector<std::string> extra) {
    std::vector<std::string> args = {"refresh", "--source", model.source(), "--target", model.target()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args, state_env());
}

ToolRun PgTest::verify(const Model& model, std::vector<std::string> extra) {
    std::vector<std::string> args = {"verify", "--source", model.source(), "--target", model.target()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
}

int connection_limit(Cluster& cluster, const std::string& database) {
    return std::stoi(
        cluster.psql("postgres", "SELECT datconnlimit FROM pg_database WHERE datname = '" + database + "'"));
}

bool session_sleeps(Cluster& cluster, const std::string& application) {
    return cluster.psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = '" + application +
                                        "' AND wait_event = 'PgSleep'") == "1\n";
}

}  // namespace sandboxctl::test
