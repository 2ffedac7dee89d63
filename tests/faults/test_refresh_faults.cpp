// Faults at every phase of a refresh: for each failpoint, each fault leaves
// the sandbox as it was (or, past the commit, as new), never a mix.
#include <signal.h>

#include <filesystem>
#include <fstream>

#include "faults/fault_fixture.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::test {
namespace {

class RefreshFaults : public FaultTest, public ::testing::WithParamInterface<Fault> {
protected:
    void SetUp() override {
        FaultTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        std::ofstream(work_ / "post.sql") << "SELECT 1;\n";
        auto first = run_tool(args(), state_env());
        ASSERT_EQ(first.exit_code, 0) << first.all();
    }

    std::vector<std::string> args() const {
        return {"refresh",
                "--source",
                model_->source(),
                "--target",
                model_->target(),
                "--post-sql",
                (work_ / "post.sql").string()};
    }

    // A local change in the sandbox and a new row in prod, so that "as
    // before" and "as new" differ in both directions.
    void diverge(int round) {
        model_->sandbox_sql("SET ROLE sbx_sandbox_owner; INSERT INTO \"MixedCase\" VALUES (" +
                            std::to_string(1000 + round) + ", 'local change')");
        model_->prod_sql("SET ROLE sbx_app; INSERT INTO \"MixedCase\" VALUES (" + std::to_string(2000 + round) +
                         ", 'new in prod')");
    }

    std::unique_ptr<Model> model_;
};

const std::vector<std::string> refresh_phases = {"preflight", "schema dump", "end sessions", "clean",    "pre-data",
                                                 "post-data", "post-sql",    "commit",       "committed"};

TEST_F(RefreshFaults, EveryPhaseHasAFailpoint) {
    int exit_code = -1;
    auto points = failpoint_.discover(args(), state_env(), exit_code);
    EXPECT_EQ(exit_code, 0);
    for (const auto& phase : refresh_phases) {
        EXPECT_NE(std::find(points.begin(), points.end(), phase), points.end()) << phase;
    }
    EXPECT_GE(std::count_if(points.begin(), points.end(), [](const auto& p) { return p.starts_with("table "); }), 10);
}

TEST_P(RefreshFaults, SandboxIsAsBeforeOrAsNew) {
    Fault fault = GetParam();
    int exit_code = -1;
    auto points = points_to_break(failpoint_.discover(args(), state_env(), exit_code));
    ASSERT_EQ(exit_code, 0);
    // Rounds write rows, never DDL: the schemas are taken once (what each
    // run leaves is checked whole, schema too, by check_outcome).
    const auto sandbox_schema = capture_state(cluster(), model_->sandbox(), sandbox_role).schema;
    const auto prod_schema = capture_state(cluster(), model_->prod(), app_role).schema;
    int round = 0;
    for (const auto& point : points) {
        SCOPED_TRACE(fault_name(fault) + " at \"" + point + "\"");
        diverge(++round);
        auto before = capture_rows(cluster(), model_->sandbox(), sandbox_role, sandbox_schema);
        auto after_success = capture_rows(cluster(), model_->prod(), app_role, prod_schema);
        ASSERT_FALSE(before == after_success);
        auto tool = start_held(args(), point);
        ASSERT_TRUE(tool);
        inject(fault, *tool, *model_);
        failpoint_.release();
        int pid = tool->pid();
        auto run = tool->finish();
        check_outcome(fault, point, run, pid, *model_, before, after_success);
        if (HasFailure()) return;  // one broken point is enough to read
    }
}

// A role default meant for the application (statement_timeout = 1ms on both
// logins) does not cut a refresh short: sandboxctl sets its own (0, none,
// unless --statement-timeout), as pg_dump and pg_restore do.
TEST_F(RefreshFaults, RoleStatementTimeoutDoesNotCutARefreshShort) {
    diverge(1);
    for (const char* role : {"sbx_dump", "sbx_sandbox_login"}) {
        cluster().psql("postgres", std::string("ALTER ROLE ") + role + " SET statement_timeout = '1ms'");
    }
    auto run = run_tool(args(), state_env());
    for (const char* role : {"sbx_dump", "sbx_sandbox_login"}) {
        cluster().psql("postgres", std::string("ALTER ROLE ") + role + " RESET statement_timeout");
    }
    EXPECT_EQ(run.exit_code, 0) << run.all();
    auto prod = capture_state(cluster(), model_->prod(), app_role);
    auto sandbox = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(prod == sandbox) << describe_differences(prod, sandbox);
}

// --statement-timeout hit while a statement waits on a lock someone else
// holds: on the source (a COPY behind a migration's ACCESS EXCLUSIVE lock)
// and in the sandbox (DROP OWNED behind a reader).
TEST_F(RefreshFaults, StatementTimeoutHitRollsBack) {
    struct Case {
        std::string point, database, lock;
    };
    const std::vector<Case> cases = {
        {"table public.MixedCase", model_->prod(), "LOCK TABLE public.\"MixedCase\" IN ACCESS EXCLUSIVE MODE"},
        {"clean", model_->sandbox(), "LOCK TABLE public.\"MixedCase\" IN ACCESS SHARE MODE"},
    };
    int round = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.point);
        diverge(++round);
        auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
        auto timed = args();
        timed.insert(timed.end(), {"--statement-timeout", "300ms"});
        auto tool = start_held(timed, c.point);
        ASSERT_TRUE(tool);
        auto blocker =
            pg::Connection::open(pg::ConnInfo::parse(cluster().admin_conninfo(c.database), "test"), "blocker");
        blocker.exec("BEGIN");
        blocker.exec(c.lock);
        failpoint_.release();
        auto run = tool->finish();
        blocker.exec("ROLLBACK");
        EXPECT_EQ(run.exit_code, 1) << run.all();
        EXPECT_NE(run.err.find("canceling statement due to statement timeout"), std::string::npos) << run.err;
        EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
        auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(after == before) << describe_differences(before, after);
    }
}

// Issue 10, item 4: a run interrupted after it set the sandbox's connection
// limit to 0 but while it ends the other sessions (the constructor of its
// exclusive access, whose destructor then never runs) puts back the limit the
// database had, its own one too, and leaves the sandbox as it was.
TEST_F(RefreshFaults, InterruptWhileEndingSessionsRestoresTheConnectionLimit) {
    const Env state = {{"XDG_STATE_HOME", (work_ / "state").string()}};
    const std::vector<std::pair<int, int>> cases = {{SIGINT, 7}, {SIGTERM, -1}};
    int round = 0;
    for (const auto& [signal, limit] : cases) {
        SCOPED_TRACE("signal " + std::to_string(signal) + ", connection limit " + std::to_string(limit));
        diverge(++round);
        cluster().psql("postgres",
                       "ALTER DATABASE " + model_->sandbox() + " CONNECTION LIMIT " + std::to_string(limit));
        auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
        auto tool = start_held(args(), "end sessions", state);
        ASSERT_TRUE(tool);
        // The moment of the fault: new connections blocked, the run's record of the old limit written.
        EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
        EXPECT_FALSE(std::filesystem::is_empty(work_ / "state" / "sandboxctl" / "locks"));
        tool->send(signal);
        failpoint_.release();
        auto run = tool->finish();
        EXPECT_EQ(run.exit_code, 1) << run.all();
        EXPECT_NE(run.err.find("interrupted by signal " + std::to_string(signal)), std::string::npos) << run.err;
        // Restored by the run itself: no "sandboxctl unlock" needed, no record left for it.
        EXPECT_EQ(run.err.find("sandboxctl unlock"), std::string::npos) << run.err;
        EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), limit);
        EXPECT_TRUE(std::filesystem::is_empty(work_ / "state" / "sandboxctl" / "locks"));
        auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(after == before) << describe_differences(before, after);
    }
    cluster().psql("postgres", "ALTER DATABASE " + model_->sandbox() + " CONNECTION LIMIT -1");
}

INSTANTIATE_TEST_SUITE_P(Faults, RefreshFaults,
                         ::testing::Values(Fault::sigint, Fault::sigterm, Fault::sigkill, Fault::source_backend_ended,
                                           Fault::target_backend_ended, Fault::server_restarted),
                         fault_test_name);

}  // namespace
}  // namespace sandboxctl::test
