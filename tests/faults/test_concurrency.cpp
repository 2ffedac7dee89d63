// Two runs on one sandbox: the second refuses at once, naming the first;
// application sessions are ended when a run starts and refused while it runs.
#include <future>

#include "faults/fault_fixture.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::test {
namespace {

class Concurrency : public FaultTest {
protected:
    void SetUp() override {
        FaultTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        auto first = run_tool(refresh_args(), state_env());
        ASSERT_EQ(first.exit_code, 0) << first.all();
        auto snapshot = run_tool({"snapshot", "create", "golden", "--target", model_->target(), "--snapshot-dir",
                                  (work_ / "snapshots").string()},
                                 state_env());
        ASSERT_EQ(snapshot.exit_code, 0) << snapshot.all();
    }

    std::vector<std::string> refresh_args() const {
        return {"refresh", "--source", model_->source(), "--target", model_->target()};
    }
    std::vector<std::string> reset_args() const {
        return {"reset", "golden", "--target", model_->target(), "--snapshot-dir", (work_ / "snapshots").string()};
    }

    // Starts `args` and holds it at `point`; the run has the lock by then.
    std::unique_ptr<BackgroundTool> hold_at(const std::vector<std::string>& args, const std::string& point) {
        auto tool = start_held(args, point);
        if (!tool) throw std::runtime_error("the first run never got to " + point);
        return tool;
    }

    // The second run is done while the first is still held at its failpoint:
    // it did not wait for the lock, whatever the clock says.
    void expect_refused_while_held(const std::vector<std::string>& second) {
        auto run = run_tool(second, state_env());
        EXPECT_TRUE(std::filesystem::exists(work_ / "failpoint")) << "the first run moved on";
        EXPECT_EQ(run.exit_code, 3) << run.all();
        EXPECT_NE(run.err.find("another sandboxctl run is using sandbox database \"" + model_->sandbox() + "\""),
                  std::string::npos)
            << run.err;
        EXPECT_NE(run.err.find("backend pid"), std::string::npos) << run.err;
    }

    std::unique_ptr<Model> model_;
};

TEST_F(Concurrency, SecondRefreshRefusesBeforeExclusiveAccess) {
    auto first = hold_at(refresh_args(), "preflight");
    // The sandbox still accepts connections: the second run meets the lock itself.
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
    expect_refused_while_held(refresh_args());
    expect_refused_while_held(reset_args());
    failpoint_.release();
    auto run = first->finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
}

TEST_F(Concurrency, SecondRunRefusesDuringExclusiveAccess) {
    auto first = hold_at(refresh_args(), "clean");
    // CONNECTION LIMIT 0: the second run cannot even connect, and says why.
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
    expect_refused_while_held(refresh_args());
    expect_refused_while_held(reset_args());
    failpoint_.release();
    auto run = first->finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

TEST_F(Concurrency, SecondRefreshRefusesDuringReset) {
    model_->sandbox_sql("SET ROLE sbx_sandbox_owner; DELETE FROM \"MixedCase\"");
    auto first = hold_at(reset_args(), "commit");
    expect_refused_while_held(refresh_args());
    failpoint_.release();
    auto run = first->finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
}

TEST_F(Concurrency, UnlockRefusesWhileARunHoldsTheSandbox) {
    auto first = hold_at(refresh_args(), "clean");
    auto unlock = run_tool({"unlock", "--target", model_->target()}, state_env());
    EXPECT_EQ(unlock.exit_code, 3) << unlock.all();
    EXPECT_NE(unlock.err.find("a sandboxctl run is still using database"), std::string::npos) << unlock.err;
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
    failpoint_.release();
    EXPECT_EQ(first->finish().exit_code, 0);
}

// Issue 12: the next run restores the limit a killed run recorded, first, and
// says so; without the record (another state directory) it explains and refuses.
TEST_F(Concurrency, KilledRunLeavesLimitThatTheNextRunRestoresOrExplains) {
    auto first = hold_at(refresh_args(), "pre-data");
    first->send(SIGKILL);
    first->finish();
    failpoint_.release();
    ASSERT_TRUE(wait_until(
        [&] {
            return connection_limit(cluster(), model_->sandbox()) == 0 &&
                   cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                                  model_->sandbox() + "'") == "0\n";
        },
        30));
    auto elsewhere = run_tool(refresh_args(), {{"XDG_STATE_HOME", (work_ / "other-state").string()}});
    EXPECT_EQ(elsewhere.exit_code, 3) << elsewhere.all();
    EXPECT_NE(elsewhere.err.find("no sandboxctl run holds it"), std::string::npos) << elsewhere.err;
    EXPECT_NE(elsewhere.err.find("sandboxctl unlock"), std::string::npos) << elsewhere.err;
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
    auto second = run_tool(refresh_args(), state_env());
    EXPECT_EQ(second.exit_code, 0) << second.all();
    EXPECT_NE(second.err.find("a killed run left database \"" + model_->sandbox() +
                              "\" refusing connections: restored its connection limit -1, recorded before the crash"),
              std::string::npos)
        << second.err;
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

TEST_F(Concurrency, ApplicationSessionsAreEndedThenRefused) {
    auto app_login = pg::ConnInfo::parse(model_->target(), "target");
    auto app = pg::Connection::open(app_login, "bdd-app");
    auto first = hold_at(refresh_args(), "clean");
    // As documented: sessions open when the run starts are ended...
    EXPECT_THROW(app.exec("SELECT 1"), Error);
    // ...and new ones are refused until the run ends.
    EXPECT_THROW(pg::Connection::open(app_login, "bdd-app"), Error);
    failpoint_.release();
    EXPECT_EQ(first->finish().exit_code, 0);
    auto again = pg::Connection::open(app_login, "bdd-app");
    EXPECT_EQ(again.query_value("SELECT 1"), "1");
}

// A full reset that rebuilds the golden cache while a vacuum works on a cache
// table (autovacuum does so at any time): the vacuum waits for the reset, the
// reset does not wait for the vacuum, and the reset succeeds. CI once saw the
// reset abort with "deadlock detected" here.
TEST_F(Concurrency, FullResetRebuildingTheCacheDoesNotDeadlockWithAVacuum) {
    auto second = run_tool({"snapshot", "create", "second", "--target", model_->target(), "--snapshot-dir",
                            (work_ / "snapshots").string()},
                           state_env());
    ASSERT_EQ(second.exit_code, 0) << second.all();
    // The cache now holds "second": resetting to golden rebuilds it.
    auto admin = pg::ConnInfo::parse(cluster().admin_conninfo(model_->sandbox()), "target");
    std::string cache_table =
        pg::Connection::open(admin, "test").query_value("SELECT cache FROM sandboxctl_golden.tables LIMIT 1");
    auto first = hold_at(reset_args(), "pre-data");
    auto vacuuming = pg::Connection::open(admin, "test-vacuum");
    int vacuum_pid = vacuuming.backend_pid();
    auto vacuum = std::async(std::launch::async, [&] {
        try {
            vacuuming.exec("VACUUM " + cache_table);
        } catch (const Error&) {  // the table is gone by the time it gets it: fine
        }
    });
    EXPECT_TRUE(wait_until(
        [&] {
            return cluster().psql("postgres", "SELECT wait_event_type FROM pg_stat_activity WHERE pid = " +
                                                  std::to_string(vacuum_pid)) == "Lock\n";
        },
        30))
        << "the vacuum never waited for the reset";
    failpoint_.release();
    auto run = first->finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
    vacuum.get();
}

}  // namespace
}  // namespace sandboxctl::test
