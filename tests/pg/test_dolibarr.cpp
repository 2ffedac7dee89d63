// The reference application: a real Dolibarr 22 database (shared fixture),
// refreshed and verified. Skips, saying so, when the fixture is absent.
#include <nlohmann/json.hpp>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"
#include "pg/dolibarr_fixture.hpp"

namespace sandboxctl::test {
namespace {

using Dolibarr = DolibarrFixture;

TEST_F(Dolibarr, RefreshAndVerify) {
    Model model(cluster(), test_name());
    load_dolibarr_fixture(model);
    ASSERT_EQ(
        model.prod_sql("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'llx\\_%' AND tableowner = 'sbx_app'"),
        "276\n");

    auto run = refresh(model, {"--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto verified = verify(model);
    EXPECT_EQ(verified.exit_code, 0) << verified.all();
    EXPECT_NE(verified.out.find("compared 276 tables"), std::string::npos) << verified.out;

    auto prod = capture_state(cluster(), model.prod(), app_role);
    auto sandbox = capture_state(cluster(), model.sandbox(), sandbox_role);
    EXPECT_TRUE(prod == sandbox) << describe_differences(prod, sandbox);
    EXPECT_EQ(foreign_owned_objects(cluster(), model.sandbox(), sandbox_role), std::vector<std::string>{});
    EXPECT_EQ(model.sandbox_sql("SELECT count(*) FROM pg_trigger WHERE tgname = 'update_customer_modtime'"), "107\n");
    EXPECT_EQ(model.sandbox_sql("SELECT api_key LIKE 'dolcrypt:AES-256-CTR:%' FROM llx_user WHERE api_key IS NOT NULL"),
              "t\n");
}

TEST_F(Dolibarr, ScenarioThenDeltaReset) {
    Model model(cluster(), test_name());
    load_dolibarr_fixture(model);
    std::string store = (run_dir() / "snapshots" / test_name()).string();
    std::vector<std::string> common = {"--target", model.target(), "--snapshot-dir", store};
    auto with = [&](std::vector<std::string> args) {
        args.insert(args.end(), common.begin(), common.end());
        return run_tool(args, state_env());
    };
    auto run = with({"refresh", "--source", model.source(), "--snapshot", "golden"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto golden = capture_state(cluster(), model.sandbox(), sandbox_role);

    for (int round = 0; round < 2; ++round) {
        cluster().psql_file(model.sandbox(), sql_dir() / "dolibarr_scenario.sql");
        // The scenario writes rows only: the golden schema still holds.
        auto changed = capture_rows(cluster(), model.sandbox(), sandbox_role, golden.schema);
        ASSERT_FALSE(changed == golden);
        auto reset = with({"reset", "--json", "-"});
        ASSERT_EQ(reset.exit_code, 0) << reset.all();
        auto report = nlohmann::json::parse(reset.out);
        EXPECT_EQ(report["mode"], "delta");
        EXPECT_EQ(report["tables"], 5) << reset.out;  // societe, facture, facturedet, paiement, const
        auto now = capture_state(cluster(), model.sandbox(), sandbox_role);
        EXPECT_TRUE(now == golden) << describe_differences(golden, now);
        // sandboxctl's own tracking objects are not differences from prod.
        auto verified = run_tool({"verify", "--source", model.source(), "--target", model.target()});
        EXPECT_EQ(verified.exit_code, 0) << verified.all();
    }
}

}  // namespace
}  // namespace sandboxctl::test
