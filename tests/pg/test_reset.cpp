// Golden snapshots and reset: after arbitrary DML (and DDL) a reset makes every
// table, sequence and the schema equal to the snapshot again.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "pg/reset_fixture.hpp"

namespace sandboxctl::test {
namespace {

class Reset : public ResetFixture {};

TEST_F(Reset, DeltaResetUndoesArbitraryDml) {
    scenario_dml();
    auto status = tool({"status"});
    EXPECT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.out.find("public.customer"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("last refresh: "), std::string::npos) << status.out;
    EXPECT_EQ(status.out.find("last refresh: none"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("baseline: snapshot \"golden\""), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("public.scratch                                     whole table"), std::string::npos)
        << status.out;

    auto run = tool({"reset", "--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["mode"], "delta") << run.all();
    expect_golden();
    // The reset itself is not logged as a change, and a second one has nothing to do.
    auto again = tool({"reset", "--json", "-"});
    ASSERT_EQ(again.exit_code, 0) << again.all();
    EXPECT_EQ(nlohmann::json::parse(again.out)["tables"], 0) << again.out;
    expect_golden();
}

TEST_F(Reset, SchemaDriftFallsBackToFullReset) {
    scenario_dml();
    model_->sandbox_sql(
        "SET ROLE sbx_sandbox_owner; ALTER TABLE customer ADD COLUMN added int; DROP TABLE empty_table;");
    auto run = tool({"reset", "golden", "--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["mode"], "full");
    EXPECT_EQ(report["why_full"], "the schema changed since the snapshot");
    expect_golden();
    // Tracking survives the full reset: the next reset is a delta again.
    scenario_dml();
    auto delta = tool({"reset", "--json", "-"});
    ASSERT_EQ(delta.exit_code, 0) << delta.all();
    EXPECT_EQ(nlohmann::json::parse(delta.out)["mode"], "delta");
    expect_golden();
}

// Issue 20: reset and refresh share one maintenance window. A full reset
// stops the application as a refresh does, hooks included; a delta reset,
// which takes well under a second, stops nothing.
TEST_F(Reset, AFullResetRunsTheHooksAroundItAndADeltaResetRunsNone) {
    auto trace = work_ / "hook-trace";
    auto config = work_ / "hooks.toml";
    std::ofstream(config) << "[hooks]\nbefore = \"echo before >> '" << trace.string()
                          << "'\"\nafter = \"echo after >> '" << trace.string() << "'\"\n";
    scenario_dml();
    EXPECT_EQ(reset({"-c", config.string()})["mode"], "delta");
    EXPECT_FALSE(std::filesystem::exists(trace)) << read_file(trace);
    expect_golden();

    scenario_dml();
    EXPECT_EQ(reset({"--full", "-c", config.string()})["mode"], "full");
    EXPECT_EQ(read_file(trace), "before\nafter\n");
    expect_golden();

    // Found to need a full reset on its own (the schema drifted): hooks too.
    model_->sandbox_sql("SET ROLE sbx_sandbox_owner; ALTER TABLE customer ADD COLUMN added int;");
    auto drift = reset({"-c", config.string()});
    EXPECT_EQ(drift["mode"], "full") << drift.dump();
    EXPECT_EQ(read_file(trace), "before\nafter\nbefore\nafter\n");
    expect_golden();
}

TEST_F(Reset, AFailingBeforeHookChangesNothingAndAFailingAfterHookExitsFive) {
    auto trace = work_ / "hook-trace";
    auto failing_before = work_ / "failing-before.toml";
    std::ofstream(failing_before) << "[hooks]\nbefore = \"exit 3\"\nafter = \"echo after >> '" << trace.string()
                                  << "'\"\n";
    scenario_dml();
    auto dirty = state();
    auto refused = tool({"reset", "--full", "-c", failing_before.string()});
    EXPECT_EQ(refused.exit_code, 1) << refused.all();
    EXPECT_NE(refused.err.find("the before hook exited with status 3"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("The sandbox was not changed."), std::string::npos) << refused.err;
    // The after hook undoes a half-done before hook.
    EXPECT_EQ(read_file(trace), "after\n");
    auto now = state();
    EXPECT_TRUE(now == dirty) << describe_differences(dirty, now);
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);

    auto failing_after = work_ / "failing-after.toml";
    std::ofstream(failing_after) << "[hooks]\nafter = \"exit 4\"\n";
    auto run = tool({"reset", "--full", "-c", failing_after.string()});
    EXPECT_EQ(run.exit_code, 5) << run.all();
    EXPECT_NE(run.out.find("full reset to \"golden\""), std::string::npos) << run.out;
    EXPECT_NE(run.err.find("the sandbox was reset to \"golden\" (committed), but the after hook exited with status 4"),
              std::string::npos)
        << run.err;
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
    expect_golden();
}

// Found by the hostile review of issue 20: a reset's short JSON report sat
// in stdio's buffer, and a stdout that refused it (a full disk) failed unseen
// at exit: exit 0.
TEST_F(Reset, AJsonReportStandardOutputRefusesExitsFive) {
    scenario_dml();
    auto run = run_tool_with_stdout("/dev/full",
                                    {"reset", "--json", "-", "--target", model_->target(), "--snapshot-dir", store_},
                                    {{"XDG_STATE_HOME", (work_ / "state").string()}});
    EXPECT_EQ(run.exit_code, 5) << run.all();
    EXPECT_NE(run.err.find("(committed), but writing the JSON report failed: could not write the JSON report to "
                           "standard output: No space left on device"),
              std::string::npos)
        << run.err;
    expect_golden();
}

TEST_F(Reset, CorruptSnapshotIsDetectedAndRefused) {
    auto list = tool({"snapshot", "list"});
    EXPECT_NE(list.out.find("golden"), std::string::npos) << list.all();
    EXPECT_EQ(tool({"snapshot", "verify", "golden"}).exit_code, 0);
    auto file = std::filesystem::path(store_) / "golden" / "data" / "00003.zst";
    ASSERT_TRUE(std::filesystem::exists(file));
    {
        std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(10);
        f.put('\x5a');
    }
    auto verify = tool({"snapshot", "verify", "golden"});
    EXPECT_EQ(verify.exit_code, 1) << verify.all();
    EXPECT_NE(verify.out.find("data/00003.zst: checksum mismatch"), std::string::npos) << verify.all();
    scenario_dml();
    auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
    auto reset = tool({"reset"});
    EXPECT_EQ(reset.exit_code, 1) << reset.all();
    EXPECT_NE(reset.err.find("snapshot \"golden\" is damaged"), std::string::npos) << reset.err;
    auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(before == after) << describe_differences(before, after);
    EXPECT_EQ(tool({"snapshot", "delete", "golden"}).exit_code, 0);
    EXPECT_EQ(tool({"snapshot", "list"}).out.find("golden"), std::string::npos);
}

TEST_F(Reset, InterruptedResetLeavesOldOrNewStateAndNextResetWorks) {
    for (int signal : {SIGKILL, SIGTERM}) {
        scenario_dml();
        auto dirty = capture_state(cluster(), model_->sandbox(), sandbox_role);
        BackgroundTool reset({"reset", "--full", "--target", model_->target(), "--snapshot-dir", store_},
                             {{"XDG_STATE_HOME", (work_ / "state").string()}});
        wait_until(
            [&] {
                return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                                                  "'sandboxctl/reset' AND state = 'active'") != "0\n";
            },
            10);
        reset.send(signal);
        reset.finish();
        wait_until(
            [&] {
                return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE "
                                                  "'sandboxctl/reset%'") == "0\n";
            },
            30);
        auto now = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(now == dirty || now == golden_) << "a mix of old and new state:\n"
                                                    << describe_differences(golden_, now);
        if (connection_limit(cluster(), model_->sandbox()) == 0) {
            EXPECT_EQ(tool({"unlock"}).exit_code, 0);
        }
        auto next = tool({"reset"});
        ASSERT_EQ(next.exit_code, 0) << next.all();
        expect_golden();
    }
}

TEST_F(Reset, TrackingAddsNoLockWaitsBetweenWriters) {
    // Two application transactions insert into the same table at once; with
    // tracking installed neither may wait for the other.
    auto psql = cluster().bin_dir() / "psql";
    pid_t holder = ::fork();
    if (holder == 0) {
        ::execl(psql.c_str(), "psql", "-X", "-q", "-d", model_->target().c_str(), "-c",
                "BEGIN; INSERT INTO customer (nom) VALUES ('first'); SELECT pg_sleep(3); COMMIT;",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_TRUE(wait_until(
        [&] {
            return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' "
                                              "AND state = 'active' AND pid <> pg_backend_pid()") == "1\n";
        },
        10));
    // Any lock wait would end in a lock_timeout error (psql fails, the test fails).
    model_->sandbox_sql("SET lock_timeout = '1s'; SET ROLE sbx_sandbox_login; "
                        "INSERT INTO customer (nom) VALUES ('second'); UPDATE customer SET nom = nom WHERE rowid = 2;");
    int status = 0;
    ::waitpid(holder, &status, 0);
    EXPECT_EQ(WEXITSTATUS(status), 0);
    EXPECT_EQ(model_->sandbox_sql("SELECT count(DISTINCT key) FROM sandboxctl.changes "
                                  "WHERE relid = 'customer'::regclass"),
              "3\n");
}

}  // namespace
}  // namespace sandboxctl::test
