// Failures injected mid-restore leave the previous sandbox content intact and
// the connection limit restored (or repairable with `unlock`).
#include <signal.h>

#include <fstream>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

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
                                              model_->sandbox() + "' AND query LIKE '%SELECT pg_sleep%'") == "1\n";
    }

    BackgroundTool start_sleeping_refresh() {
        return BackgroundTool(
            {"refresh", "--source", model_->source(), "--target", model_->target(), "--post-sql", sleeping_post_sql()},
            state_env());
    }

    TempDir work_;
    std::unique_ptr<Model> model_;
    DatabaseState before_;

    std::string write_file(const std::string& name, const std::string& text) {
        auto path = work_ / name;
        std::ofstream(path) << text;
        return path.string();
    }

    ToolRun refresh_with_post_sql(const std::vector<std::string>& files) {
        std::vector<std::string> extra;
        for (const auto& f : files) extra.insert(extra.end(), {"--post-sql", f});
        return refresh(*model_, extra);
    }
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

// Issue 9, item 1: a COMMIT in a post-refresh file made a half-done refresh
// permanent when a later file failed; a ROLLBACK reported success for a
// refresh that never happened. Both are refused before anything changes.
TEST_F(Atomicity, PostSqlWithTransactionControlIsRefusedBeforeAnythingChanges) {
    auto committing = write_file("commit.sql", "BEGIN;\nUPDATE \"MixedCase\" SET \"Name\" = 'x';\nCOMMIT;\n");
    auto failing = write_file("broken.sql", "UPDATE llx_does_not_exist SET x = 1;\n");
    auto run = refresh_with_post_sql({committing, failing});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("\"" + committing + "\" line 1: BEGIN would leave the refresh transaction"),
              std::string::npos)
        << run.err;
    expect_sandbox_as_before();

    auto rolling_back = write_file("rollback.sql", "-- undo it all\n  /* really */ RollBack WORK;\n");
    run = refresh_with_post_sql({rolling_back});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("line 2: ROLLBACK would leave"), std::string::npos) << run.err;
    EXPECT_EQ(run.out.find("refresh committed"), std::string::npos) << run.out;
    expect_sandbox_as_before();
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

// What the lexical check cannot see (a COMMIT inside a DO block or a
// procedure) the server refuses: the file runs inside PL/pgSQL's EXECUTE.
TEST_F(Atomicity, PostSqlThatCommitsThroughTheServerRollsBack) {
    auto do_commit = write_file("do.sql", "UPDATE \"MixedCase\" SET \"Name\" = 'x';\nDO $$ BEGIN COMMIT; END $$;\n");
    auto failing = write_file("broken.sql", "UPDATE llx_does_not_exist SET x = 1;\n");
    auto run = refresh_with_post_sql({do_commit, failing});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("post-refresh SQL file \"" + do_commit + "\" failed"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("invalid transaction termination"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("HINT: Post-refresh SQL runs inside the refresh transaction"), std::string::npos) << run.err;
    expect_sandbox_as_before();

    auto procedure =
        write_file("call.sql", "CREATE PROCEDURE finish_early() LANGUAGE plpgsql AS $$ BEGIN ROLLBACK; END $$;\n"
                               "CALL finish_early();\n");
    run = refresh_with_post_sql({procedure});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("invalid transaction termination"), std::string::npos) << run.err;
    expect_sandbox_as_before();
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

// A missing file used to be found after the whole refresh had run.
TEST_F(Atomicity, MissingPostSqlFileIsRefusedFirst) {
    auto good = write_file("good.sql", "UPDATE \"MixedCase\" SET \"Name\" = 'x';\n");
    auto missing = (work_ / "missing.sql").string();
    auto run = refresh_with_post_sql({good, missing});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("post-refresh SQL file \"" + missing + "\" does not exist"), std::string::npos) << run.err;
    expect_sandbox_as_before();
}

// Errors name the line of the file, not sandboxctl's wrapper.
TEST_F(Atomicity, PostSqlErrorNamesTheLine) {
    auto file = write_file("lines.sql",
                           "-- first\nUPDATE \"MixedCase\" SET \"Name\" = 'ok';\n\nSELECT * FROM no_such_table;\n");
    auto run = refresh_with_post_sql({file});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("\"" + file + "\" failed at line 4: relation \"no_such_table\" does not exist"),
              std::string::npos)
        << run.err;
    EXPECT_EQ(run.err.find("inline_code_block"), std::string::npos) << run.err;
    expect_sandbox_as_before();
}

TEST_F(Atomicity, TerminatedTargetBackendRollsBack) {
    auto tool = start_sleeping_refresh();
    ASSERT_TRUE(wait_until([&] { return refresh_is_sleeping(); }, 60));
    cluster().psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                                   model_->sandbox() + "' AND query LIKE '%SELECT pg_sleep%'");
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
    auto unlock = run_tool({"unlock", "--target", model_->target()}, state_env());
    EXPECT_EQ(unlock.exit_code, 0) << unlock.all();
    EXPECT_NE(unlock.out.find("connection limit set to 7 (recorded before the crash)"), std::string::npos)
        << unlock.out;
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 7);
    expect_sandbox_as_before();
    // And the next refresh succeeds.
    auto again = refresh(*model_);
    EXPECT_EQ(again.exit_code, 0) << again.all();
}

}  // namespace
}  // namespace sandboxctl::test
