// Failures injected mid-restore leave the previous sandbox content intact and
// the connection limit restored (or repairable with `unlock`).
#include <signal.h>

#include <fstream>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

const std::vector<std::pair<std::string, std::string>> state_env = {{"XDG_STATE_HOME", "/tmp/sandboxctl-test-state"}};

class Atomicity : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        // The "previous" sandbox is a full earlier refresh plus a local change.
        auto first = refresh(*model_);
        ASSERT_EQ(first.exit_code, 0) << first.all();
        model_->sandbox_sql("SET ROLE sbx_sandbox_owner; INSERT INTO \"MixedCase\" VALUES (99, 'local change')");
        model_->prod_sql("SET ROLE sbx_app; INSERT INTO \"MixedCase\" VALUES (100, 'new in prod')");
        before_ = capture_state(cluster(), model_->sandbox(), sandbox_role);
    }

    void expect_sandbox_as_before() {
        auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(before_ == after) << describe_differences(before_, after);
    }

    // Writes a post-refresh SQL file that sleeps, giving the test a window in
    // which the refresh transaction has dropped and rebuilt everything.
    std::string sleeping_post_sql() {
        auto path = work_ / "sleep.sql";
        std::ofstream(path) << "SELECT pg_sleep(30);\n";
        return path.string();
    }

    bool refresh_is_sleeping() {
        return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                              model_->sandbox() + "' AND query LIKE 'SELECT pg_sleep%'") == "1\n";
    }

    BackgroundTool start_sleeping_refresh() {
        return BackgroundTool({"refresh", "--source", model_->source(), "--target", model_->target(), "--post-sql",
                               sleeping_post_sql()},
                              state_env);
    }

    TempDir work_;
    std::unique_ptr<Model> model_;
    DatabaseState before_;
};

TEST_F(Atomicity, FailingPostRefreshSqlRollsEverythingBack) {
    auto path = work_ / "broken.sql";
    std::ofstream(path) << "UPDATE llx_does_not_exist SET x = 1;\n";
    auto run = refresh(*model_, {"--post-sql", path.string()});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("post-refresh SQL file \"" + path.string() + "\" failed"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("relation \"llx_does_not_exist\" does not exist"), std::string::npos) << run.err;
    expect_sandbox_as_before();
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

TEST_F(Atomicity, TerminatedTargetBackendRollsBack) {
    auto tool = start_sleeping_refresh();
    ASSERT_TRUE(wait_until([&] { return refresh_is_sleeping(); }, 60));
    cluster().psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                   model_->sandbox() + "' AND query LIKE 'SELECT pg_sleep%'");
    auto run = tool.finish();
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("post-refresh SQL file"), std::string::npos) << run.err;
    expect_sandbox_as_before();
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

TEST_F(Atomicity, InterruptRollsBackAndRestoresTheLimit) {
    auto tool = start_sleeping_refresh();
    ASSERT_TRUE(wait_until([&] { return refresh_is_sleeping(); }, 60));
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
    tool.send(SIGINT);
    auto run = tool.finish();
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("interrupted"), std::string::npos) << run.err;
    expect_sandbox_as_before();
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

TEST_F(Atomicity, KilledProcessLeavesSandboxIntactAndUnlockRepairs) {
    model_->cluster().psql("postgres", "ALTER DATABASE \"" + model_->sandbox() + "\" CONNECTION LIMIT 7");
    auto tool = start_sleeping_refresh();
    ASSERT_TRUE(wait_until([&] { return refresh_is_sleeping(); }, 60));
    tool.send(SIGKILL);
    auto run = tool.finish();
    EXPECT_EQ(run.exit_code, 128 + SIGKILL);
    // The server rolls the open transaction back once the connection drops.
    ASSERT_TRUE(wait_until([&] { return !refresh_is_sleeping(); }, 30));
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
    auto unlock = run_tool({"unlock", "--target", model_->target()}, state_env);
    EXPECT_EQ(unlock.exit_code, 0) << unlock.all();
    EXPECT_NE(unlock.out.find("connection limit set to 7 (recorded before the crash)"), std::string::npos) << unlock.out;
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 7);
    expect_sandbox_as_before();
    // And the next refresh succeeds.
    auto again = refresh(*model_);
    EXPECT_EQ(again.exit_code, 0) << again.all();
}

}  // namespace
}  // namespace sandboxctl::test
