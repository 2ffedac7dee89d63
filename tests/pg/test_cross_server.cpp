// Prod on one server, the sandbox on another, possibly of another PostgreSQL
// version: refresh, verify, reset and a second refresh must give the same
// sandbox as on one server. Prod's cluster is Cluster::source(): a second
// cluster of the suite's own version, or the one at
// $SANDBOXCTL_TEST_SOURCE_SOCKET_DIR/PORT (scripts/debian.sh forky runs these
// tests with prod on PostgreSQL 15 and on 17, and the sandbox on 18).
#include <cstdlib>
#include <iostream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"
#include "pg/dolibarr_fixture.hpp"

namespace sandboxctl::test {
namespace {

class CrossServer : public DolibarrFixture {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        if (std::string reason = Cluster::source_unavailable_reason(); !reason.empty()) {
            MISSING_PREREQUISITE() << "no prod cluster: " << reason;
        }
        int prod_major = Cluster::source().server_major(), sandbox_major = cluster().server_major();
        std::cout << "prod on PostgreSQL " << prod_major << ", sandbox on PostgreSQL " << sandbox_major << "\n";
        // The script that attaches an older prod says which: never test 17 -> 17 by mistake.
        if (const char* expected = std::getenv("SANDBOXCTL_TEST_SOURCE_MAJOR")) {
            ASSERT_EQ(prod_major, std::stoi(expected));
        }
        model_ = std::make_unique<Model>(Cluster::source(), cluster(), test_name());
        store_ = (run_dir() / "snapshots" / test_name()).string();
    }

    ToolRun tool(std::vector<std::string> args) {
        if (args[0] != "reset") args.insert(args.end(), {"--source", model_->source()});
        args.insert(args.end(), {"--target", model_->target()});
        if (args[0] != "doctor" && args[0] != "verify") args.insert(args.end(), {"--snapshot-dir", store_});
        return run_tool(args, state_env());
    }

    DatabaseState prod_state() { return capture_state(Cluster::source(), model_->prod(), app_role); }
    DatabaseState sandbox_state() { return capture_state(cluster(), model_->sandbox(), sandbox_role); }

    // Each server deparses view bodies itself, and 16 stopped qualifying the
    // columns of a single-table query ("upper(customer.nom)" on 15, "upper(nom)"
    // on 17): across versions the views are compared by their header line only
    // (their rows still are, for materialized views).
    static std::string without_view_bodies(const std::string& schema) {
        std::istringstream in(schema);
        std::string out, line;
        bool in_view = false;
        while (std::getline(in, line)) {
            if (in_view) {
                in_view = !line.ends_with(";");
                continue;
            }
            out += line + "\n";
            in_view = (line.starts_with("CREATE VIEW ") || line.starts_with("CREATE MATERIALIZED VIEW ")) &&
                      !line.ends_with(";");
        }
        return out;
    }

    // From 18, a NOT NULL constraint has a name, and the server names one a
    // dump made on an older server does not: the sandbox's are the server's
    // own choice (pg_dump shows them where they differ from
    // "<table>_<column>_not_null", e.g. cut at 63 bytes), prod has none.
    static std::string without_not_null_names(const std::string& schema) {
        static const std::regex named(R"(CONSTRAINT ("[^"]*"|[^ ]+) NOT NULL)");
        return std::regex_replace(schema, named, "NOT NULL");
    }

    void expect_sandbox_equals_prod() {
        auto prod = prod_state(), sandbox = sandbox_state();
        if (Cluster::source().server_major() != cluster().server_major()) {
            prod.schema = without_view_bodies(prod.schema);
            sandbox.schema = without_view_bodies(sandbox.schema);
        }
        if (Cluster::source().server_major() < 18 && cluster().server_major() >= 18) {
            sandbox.schema = without_not_null_names(sandbox.schema);
        }
        EXPECT_FALSE(prod.tables.empty());
        EXPECT_TRUE(prod == sandbox) << describe_differences(prod, sandbox);
        // The golden cache (schema sandboxctl_golden) belongs to the login, by design.
        for (const auto& object : foreign_owned_objects(cluster(), model_->sandbox(), sandbox_role)) {
            EXPECT_NE(object.find(" sandboxctl_"), std::string::npos) << object;
        }
        auto verified = tool({"verify"});
        EXPECT_EQ(verified.exit_code, 0) << verified.all();
        EXPECT_NE(verified.out.find("no differences"), std::string::npos) << verified.out;
    }

    std::unique_ptr<Model> model_;
    std::string store_;
};

TEST_F(CrossServer, AdversarialRefreshVerifyResetAndRefreshAgain) {
    model_->load_prod("adversarial.sql");
    auto doctor = tool({"doctor"});
    EXPECT_EQ(doctor.exit_code, 0) << doctor.all();
    EXPECT_NE(doctor.out.find("PASS source and target are different databases: different servers"), std::string::npos)
        << doctor.out;
    EXPECT_NE(doctor.out.find("PASS PostgreSQL versions are supported"), std::string::npos) << doctor.out;

    auto run = tool({"refresh", "--snapshot", "golden"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    expect_sandbox_equals_prod();
    auto golden = sandbox_state();

    // A delta reset, then a full one, put the sandbox back.
    model_->sandbox_sql("SET ROLE sbx_sandbox_owner; UPDATE employee SET name = 'changed' WHERE id = 3; "
                        "DELETE FROM vehicle WHERE id = 1; INSERT INTO \"MixedCase\" VALUES (9, 'Nine')");
    auto reset = tool({"reset", "--json", "-"});
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    EXPECT_EQ(nlohmann::json::parse(reset.out)["mode"], "delta") << reset.out;
    auto now = sandbox_state();
    EXPECT_TRUE(now == golden) << describe_differences(golden, now);
    model_->sandbox_sql("SET ROLE sbx_sandbox_owner; ALTER TABLE customer ADD COLUMN added int");
    auto full = tool({"reset", "--json", "-"});
    ASSERT_EQ(full.exit_code, 0) << full.all();
    EXPECT_EQ(nlohmann::json::parse(full.out)["mode"], "full") << full.out;
    now = sandbox_state();
    EXPECT_TRUE(now == golden) << describe_differences(golden, now);

    // Prod moves on; the next refresh follows it.
    model_->prod_sql("SET ROLE sbx_app; INSERT INTO \"MixedCase\" VALUES (3, 'Three'); "
                     "SELECT nextval('billing.never_used'); ALTER TABLE vehicle ADD COLUMN color text;");
    auto again = tool({"refresh"});
    ASSERT_EQ(again.exit_code, 0) << again.all();
    expect_sandbox_equals_prod();
}

TEST_F(CrossServer, DolibarrRefreshAndVerify) {
    if (!std::filesystem::exists(dolibarr_fixture())) {
        MISSING_PREREQUISITE() << "Dolibarr fixture not found at " << dolibarr_fixture() << " (it lives in ../shared)";
    }
    load_dolibarr_fixture(*model_);
    auto run = tool({"refresh"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    expect_sandbox_equals_prod();
}

}  // namespace
}  // namespace sandboxctl::test
