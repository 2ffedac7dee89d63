// Hostile input: names, patterns and option values built to break out of
// their quoting, or just absurd. Each is refused with a message that names
// it, or handled as the literal it is; a canary table in prod and in the
// sandbox proves no SQL was ever injected.
#include <fstream>

#include "faults/fault_fixture.hpp"

namespace sandboxctl::test {
namespace {

class HostileInput : public FaultTest {
protected:
    void SetUp() override {
        FaultTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        model_->prod_sql("SET ROLE sbx_app; CREATE TABLE canary (id int); INSERT INTO canary VALUES (1), (2);");
        auto first = run_tool({"refresh"}, env());
        ASSERT_EQ(first.exit_code, 0) << first.all();
    }
    void TearDown() override {
        if (model_) {
            EXPECT_EQ(model_->prod_sql("SELECT count(*) FROM canary"), "2\n");
            EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
        }
        FaultTest::TearDown();
    }

    Env env() const { return connection_env(*model_); }

    bool sandbox_canary_intact() { return model_->sandbox_sql("SELECT count(*) FROM canary") == "2\n"; }

    std::unique_ptr<Model> model_;
};

const std::vector<std::string> injections = {
    "canary'; DROP TABLE canary; --",  "canary\"; DROP TABLE canary; --", "x\nDROP TABLE canary",
    "public.canary;DROP TABLE canary", "$$; DROP TABLE canary; $$",       "E'\\\\'; DROP TABLE canary; --",
};

TEST_F(HostileInput, RolesAreIdentifiersNeverSql) {
    for (const auto& name : injections) {
        SCOPED_TRACE(name);
        for (const char* option : {"--source-role", "--target-role"}) {
            auto run = run_tool({"refresh", option, name}, env());
            EXPECT_NE(run.exit_code, 0) << run.all();
            EXPECT_NE(run.err.find("error:"), std::string::npos) << run.err;
            EXPECT_TRUE(sandbox_canary_intact());
        }
    }
}

TEST_F(HostileInput, PatternsAreMatchedNeverExecuted) {
    for (const auto& pattern : injections) {
        SCOPED_TRACE(pattern);
        for (const char* option : {"--exclude", "--exclude-data"}) {
            auto run = run_tool({"refresh", option, pattern}, env());
            // Matching nothing is fine; what matters is that nothing ran.
            EXPECT_TRUE(run.exit_code == 0 || run.exit_code == 2) << run.all();
            EXPECT_TRUE(sandbox_canary_intact());
        }
    }
    // A pattern that does match a quoted, semicolon-bearing name leaves exactly that table out.
    auto run = run_tool({"refresh", "--exclude", "\"Accounting Dept\".\"Ledger \"\"Main\"\"\""}, env());
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(model_->sandbox_sql("SELECT to_regclass('\"Accounting Dept\".\"Ledger \"\"Main\"\"\"') IS NULL"), "t\n");
}

TEST_F(HostileInput, SnapshotNamesStayInsideTheStore) {
    auto store = (work_ / "snapshots").string();
    const std::vector<std::string> names = {"../escape", ".hidden",    "/etc/passwd", "a/b",
                                            "",          "x;rm -rf ~", "name\nline",  std::string(64, 'a')};
    for (const auto& name : names) {
        SCOPED_TRACE(name);
        auto run = run_tool({"snapshot", "create", name, "--snapshot-dir", store}, env());
        EXPECT_EQ(run.exit_code, 2) << run.all();
        EXPECT_NE(run.err.find("invalid snapshot name"), std::string::npos) << run.err;
        auto reset = run_tool({"reset", name, "--snapshot-dir", store}, env());
        EXPECT_EQ(reset.exit_code, 2) << reset.all();
    }
    EXPECT_FALSE(std::filesystem::exists(work_ / "escape"));
}

TEST_F(HostileInput, AbsurdOptionValuesAreUsageErrors) {
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{"refresh", "--lock-timeout", "-1s"}, "invalid duration \"-1s\" for --lock-timeout"},
        {{"refresh", "--lock-timeout", "soon"}, "invalid duration \"soon\" for --lock-timeout"},
        {{"refresh", "--lock-timeout", "999999999h"}, "longer than PostgreSQL allows"},
        {{"refresh", "--statement-timeout", "1e99"}, "invalid duration \"1e99\" for --statement-timeout"},
        {{"refresh", "--statement-timeout", "9999999999999999999999ms"}, "invalid duration"},
        {{"reset", "--statement-timeout", "25days"}, "invalid duration"},
        {{"sync-files", "--from", "/tmp", "--to", "/tmp/x", "--chown", "0:0; rm -rf /"}, "invalid --chown"},
        {{"sync-files", "--from", "/tmp", "--to", "/tmp/x", "--chown", "99999999999:1"}, "invalid --chown"},
        {{"sync-files", "--from", "gopher://host/path", "--to", "/tmp/x"}, "unknown scheme \"gopher://\""},
        {{"unlock", "--connection-limit", "many"}, "--connection-limit"},
        {{"refresh", "--jobs", "4"}, "--jobs"},
    };
    for (const auto& [args, message] : cases) {
        SCOPED_TRACE(args[0] + " " + args[1] + " " + args.back());
        auto run = run_tool(args, env());
        EXPECT_EQ(run.exit_code, 2) << run.all();
        EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
    }
}

// A mistyped source is an error, never an empty tree that --delete would
// mirror onto the destination.
TEST_F(HostileInput, MissingSourceNeverEmptiesTheDestination) {
    std::filesystem::create_directories(work_ / "dst");
    std::ofstream(work_ / "dst" / "keep.txt") << "precious";
    auto run = run_tool(
        {"sync-files", "--delete", "--from", (work_ / "no-such-dir").string(), "--to", (work_ / "dst").string()},
        env());
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("no such directory"), std::string::npos) << run.err;
    EXPECT_TRUE(std::filesystem::exists(work_ / "dst" / "keep.txt"));
}

TEST_F(HostileInput, MalformedConfigNamesFileLineAndColumn) {
    auto file = work_ / "bad.toml";
    std::ofstream(file) << "[refresh]\nlock_timeout = \"30s\"\nexclude = [\"a\",\n[source]\n";
    auto run = run_tool({"refresh", "--config", file.string()}, env());
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find(file.string() + ":4:"), std::string::npos) << run.err;
    std::ofstream(file, std::ios::trunc) << "[refresh]\nlock_timeout = \"30s\"\nlok_timeout = \"5s\"\n";
    run = run_tool({"refresh", "--config", file.string()}, env());
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("lok_timeout"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find(file.string() + ":3:1"), std::string::npos) << run.err;
    std::ofstream(file, std::ios::trunc) << "[refresh]\nstatement_timeout = 30\n";
    run = run_tool({"refresh", "--config", file.string()}, env());
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("statement_timeout"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace sandboxctl::test
