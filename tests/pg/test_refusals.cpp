// Every safety refusal: exit code 3, a message that says why, and nothing
// changed on either side.
#include <sys/stat.h>
#include <fstream>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"
#include "safety/preflight.hpp"
#include "safety/source_session.hpp"

namespace sandboxctl::test {
namespace {

class Refusals : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        model_->sandbox_sql(
            "SET ROLE sbx_sandbox_owner; CREATE TABLE precious (id int); INSERT INTO precious VALUES (42);");
        before_ = capture_state(cluster(), model_->sandbox(), sandbox_role);
        prod_before_ = capture_state(cluster(), model_->prod(), app_role);
    }
    void expect_unchanged() {
        auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(before_ == after) << describe_differences(before_, after);
        auto prod_after = capture_state(cluster(), model_->prod(), app_role);
        EXPECT_TRUE(prod_before_ == prod_after) << describe_differences(prod_before_, prod_after);
        EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
    }
    std::unique_ptr<Model> model_;
    DatabaseState before_, prod_before_;
};

TEST_F(Refusals, ReadWriteSourceSessionIsRefused) {
    // A session that can write (what a pooler that drops our settings would
    // give) fails the check that runs before any read...
    auto info = pg::ConnInfo::parse(model_->source(), "source");
    auto writable = pg::Connection::open(info, "test");
    writable.exec("SET default_transaction_read_only = off");
    try {
        safety::require_read_only(writable);
        FAIL() << "a read-write session passed the read-only check";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::refused);
        EXPECT_NE(std::string(e.what()).find("not read-only"), std::string::npos) << e.what();
    }
    // ...while the source sessions sandboxctl opens pass it.
    safety::SourceSession session(info, "test");
    EXPECT_EQ(session.conn().query_value("SHOW transaction_read_only"), "on");
    EXPECT_THROW(session.conn().exec("CREATE TABLE must_fail (id int)"), Error);
}

TEST_F(Refusals, TargetSameAsSourceIsRefused) {
    auto run =
        run_tool({"refresh", "--source", model_->source(), "--target", model_->source(), "--target-role", app_role});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("FAIL source and target are different databases"), std::string::npos) << run.err;
    expect_unchanged();
}

TEST_F(Refusals, SuperuserTargetIsRefused) {
    auto target = cluster().login_conninfo("sbx_superuser", superuser_password, model_->sandbox());
    auto run = run_tool({"refresh", "--source", model_->source(), "--target", target});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("is a superuser"), std::string::npos) << run.err;
    expect_unchanged();
}

TEST_F(Refusals, ForcedRowLevelSecurityIsRefused) {
    model_->prod_sql("SET ROLE sbx_app; ALTER TABLE private_notes FORCE ROW LEVEL SECURITY;");
    prod_before_ = capture_state(cluster(), model_->prod(), app_role);
    auto run = refresh(*model_, {"--init=" + model_->sandbox()});  // the sandbox holds a table, unmarked
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("public.private_notes"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("row-level security hides rows"), std::string::npos) << run.err;
    expect_unchanged();
}

TEST_F(Refusals, TooOldPgDumpIsRefused) {
    // A stand-in for an old client: the check reads `pg_dump --version`.
    TempDir bin;
    std::ofstream(bin / "pg_dump") << "#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.22'\n";
    ::chmod((bin / "pg_dump").c_str(), 0755);
    auto run = refresh(*model_, {"--pg-bin", bin.path().string()});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    std::string failed = "FAIL pg_dump is new enough for the source: pg_dump 12 for server " +
                         std::to_string(cluster().server_major()) +
                         ": pg_dump cannot dump a newer server; install "
                         "postgresql-client-" +
                         std::to_string(cluster().server_major());
    EXPECT_NE(run.err.find(failed), std::string::npos) << run.err;
    expect_unchanged();
}

}  // namespace
}  // namespace sandboxctl::test
