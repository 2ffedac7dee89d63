// Issue 9, items 13 and 14: problems that used to show up only after the
// sandbox had been changed (or never), now found by plan and doctor, and
// refused by refresh before anything changes.
#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

class LateProblems : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        ASSERT_EQ(refresh(*model_).exit_code, 0);
        before_ = capture_state(cluster(), model_->sandbox(), sandbox_role);
    }
    void expect_sandbox_unchanged() {
        auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(before_ == after) << describe_differences(before_, after);
    }
    std::unique_ptr<Model> model_;
    DatabaseState before_;
};

// 13a: --exclude-data of a referenced table failed at post-data on the key.
TEST_F(LateProblems, ExcludedRowsThatOthersReferenceAreFoundFirst) {
    auto plan = run_tool({"plan", "--source", model_->source(), "--exclude-data", "egg"});
    EXPECT_EQ(plan.exit_code, 3) << plan.all();
    EXPECT_NE(plan.out.find("PROBLEM: foreign key chicken_egg_id_fkey of public.chicken references public.egg, whose "
                            "rows are left out (--exclude-data)"),
              std::string::npos)
        << plan.out;
    auto doctor =
        run_tool({"doctor", "--source", model_->source(), "--target", model_->target(), "--exclude-data", "egg"});
    EXPECT_EQ(doctor.exit_code, 3) << doctor.all();
    EXPECT_NE(doctor.out.find("FAIL foreign keys hold without the excluded rows"), std::string::npos) << doctor.out;
    auto run = refresh(*model_, {"--exclude-data", "egg"});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("refusing to refresh: the restore would fail on foreign keys"), std::string::npos)
        << run.err;
    EXPECT_EQ(run.err.find("post-data"), std::string::npos) << run.err;
    expect_sandbox_unchanged();
    // Leaving out the referencing rows too is consistent, and works.
    auto both = refresh(*model_, {"--exclude-data", "egg", "--exclude-data", "chicken"});
    EXPECT_EQ(both.exit_code, 0) << both.all();
}

// 13b: a table of another member of the sandbox role made every refresh
// fail with "already exists" while doctor passed.
TEST_F(LateProblems, ObjectsOfAnotherMemberInTheWayAreFoundFirst) {
    // Prod gains a table; meanwhile another member of the sandbox role made
    // one of that name in the sandbox, which DROP OWNED cannot remove.
    model_->prod_sql("SET ROLE sbx_app; CREATE TABLE llx_new_feature (id int PRIMARY KEY)");
    cluster().psql("postgres", "DROP ROLE IF EXISTS sbx_member_two; "
                               "CREATE ROLE sbx_member_two IN ROLE sbx_sandbox_owner");
    model_->sandbox_sql("SET ROLE sbx_member_two; CREATE TABLE public.llx_new_feature (note text)");
    before_ = capture_state(cluster(), model_->sandbox(), sandbox_role);

    auto doctor = run_tool({"doctor", "--source", model_->source(), "--target", model_->target()});
    EXPECT_EQ(doctor.exit_code, 3) << doctor.all();
    EXPECT_NE(doctor.out.find("FAIL sandbox holds no objects of other roles in the way: owned by other roles, which "
                              "the refresh cannot drop, and named like what it creates: relation "
                              "public.llx_new_feature (owner sbx_member_two)"),
              std::string::npos)
        << doctor.out;
    auto plan = run_tool({"plan", "--source", model_->source(), "--target", model_->target()});
    EXPECT_EQ(plan.exit_code, 3) << plan.all();
    EXPECT_NE(plan.out.find("PROBLEM: sandbox objects owned by other roles"), std::string::npos) << plan.out;
    auto run = refresh(*model_);
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_EQ(run.err.find("already exists"), std::string::npos) << run.err;
    expect_sandbox_unchanged();
    model_->sandbox_sql("DROP TABLE public.llx_new_feature");
    cluster().psql("postgres", "DROP ROLE sbx_member_two");
}

// 14: a pattern that matches nothing (public.llx_usr for llx_user) was
// accepted silently.
TEST_F(LateProblems, PatternsThatMatchNothingAreCaught) {
    auto plan = run_tool({"plan", "--source", model_->source(), "--exclude", "public.no_such_tabel", "--exclude-data",
                          "optional:audit_zz*"});
    EXPECT_EQ(plan.exit_code, 3) << plan.all();
    EXPECT_NE(plan.out.find("PROBLEM: --exclude public.no_such_tabel matches no relation in the source database"),
              std::string::npos)
        << plan.out;
    EXPECT_NE(plan.out.find("note: optional --exclude-data audit_zz* matches nothing"), std::string::npos) << plan.out;
    auto run = refresh(*model_, {"--exclude-data", "public.no_such_tabel"});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("--exclude-data public.no_such_tabel matches no relation"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("optional:PATTERN"), std::string::npos) << run.err;
    expect_sandbox_unchanged();
    auto optional = refresh(*model_, {"--exclude", "optional:public.no_such_tabel"});
    EXPECT_EQ(optional.exit_code, 0) << optional.all();
}

}  // namespace
}  // namespace sandboxctl::test
