// Refresh of the adversarial fixture: the sandbox must equal prod in every
// table, sequence and schema object the app role owns, everything in it must
// belong to the sandbox role, and the provisioner's objects must be absent.
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

class RefreshFidelity : public PgTest {};

void expect_sandbox_equals_prod(Model& model) {
    auto prod = capture_state(model.cluster(), model.prod(), app_role);
    auto sandbox = capture_state(model.cluster(), model.sandbox(), sandbox_role);
    EXPECT_FALSE(prod.tables.empty());
    EXPECT_TRUE(prod == sandbox) << describe_differences(prod, sandbox);
    EXPECT_EQ(foreign_owned_objects(model.cluster(), model.sandbox(), sandbox_role), std::vector<std::string>{});
}

TEST_F(RefreshFidelity, AdversarialSchemaIsCopiedExactly) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    // Old sandbox content, owned by the sandbox role and by its login, must go.
    model.sandbox_sql("SET ROLE sbx_sandbox_owner; CREATE TABLE stale (id int); INSERT INTO stale VALUES (1);");
    model.sandbox_sql("GRANT CREATE ON SCHEMA public TO sbx_sandbox_login");
    model.sandbox_sql("SET ROLE sbx_sandbox_login; CREATE TABLE login_owned (id int);");

    // --init: the old content predates sandboxctl (no sandbox mark yet).
    auto run = refresh(model, {"--json", "-", "--init=" + model.sandbox()});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    expect_sandbox_equals_prod(model);

    EXPECT_EQ(
        model.sandbox_sql("SELECT to_regclass('public.stale') IS NULL, to_regclass('public.login_owned') IS NULL"),
        "t|t\n");
    EXPECT_EQ(model.sandbox_sql("SELECT to_regclass('public.provisioner_secrets') IS NULL, "
                                "to_regprocedure('public.user_lookup(text)') IS NULL"),
              "t|t\n");
    // Triggers did not fire during the load.
    EXPECT_EQ(model.sandbox_sql("SELECT count(*) FROM audit_log"), "0\n");
    EXPECT_EQ(model.sandbox_sql("SELECT string_agg(tms::text, ',' ORDER BY rowid) FROM customer"),
              "2024-05-05 10:00:00,2024-06-06 11:00:00\n");
    // verify agrees, before the sandbox is touched below.
    auto verified = verify(model);
    EXPECT_EQ(verified.exit_code, 0) << verified.all();
    EXPECT_NE(verified.out.find("no differences"), std::string::npos) << verified.out;

    // ...but they are there and work afterwards.
    model.sandbox_sql("SET ROLE sbx_sandbox_owner; UPDATE customer SET nom = 'x' WHERE rowid = 1");
    EXPECT_EQ(model.sandbox_sql("SELECT tms FROM customer WHERE rowid = 1"), "2000-01-01 00:00:00\n");
    // The materialized view was populated; the WITH NO DATA one was not.
    EXPECT_EQ(model.sandbox_sql("SELECT n FROM measurement_totals"), "3000\n");
    EXPECT_EQ(model.sandbox_sql("SELECT relispopulated FROM pg_class WHERE relname = 'never_populated'"), "f\n");
    EXPECT_EQ(model.sandbox_sql("SELECT relrowsecurity FROM pg_class WHERE relname = 'private_notes'"), "t\n");

    // Row counts in the report are exact, whatever the COPY format.
    auto report = nlohmann::json::parse(run.out);
    std::map<std::string, long long> rows;
    for (const auto& t : report["tables"]) rows[t["name"]] = t["rows"];
    EXPECT_EQ(rows["public.kitchen_sink"], 5);
    EXPECT_EQ(rows["public.empty_table"], 0);
    EXPECT_EQ(rows["public.no_columns"], 3);
    EXPECT_EQ(rows["public.toasted"], 1);
    EXPECT_EQ(rows["public.measurements_other"] + rows["public.measurements_2023"] +
                  rows["public.measurements_2024_h0"] + rows["public.measurements_2024_h1"],
              3000);
    EXPECT_EQ(rows.count("public.measurements"), 0u) << "a partitioned parent holds no rows of its own";

    // The report names what was left out, and why.
    EXPECT_NE(run.err.find("provisioner_secrets"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("owned by sbx_provisioner, not sbx_app"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("user_lookup"), std::string::npos) << run.err;
}

TEST_F(RefreshFidelity, SecondRefreshReplacesTheFirst) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    ASSERT_EQ(refresh(model).exit_code, 0);
    model.prod_sql("SET ROLE sbx_app; INSERT INTO \"MixedCase\" VALUES (3, 'Three'); "
                   "SELECT nextval('billing.never_used'); ALTER TABLE vehicle ADD COLUMN color text;");
    auto run = refresh(model);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    expect_sandbox_equals_prod(model);
}

TEST_F(RefreshFidelity, ExcludeAndExcludeDataAreHonoured) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    auto run = refresh(model, {"--exclude", "public.chicken", "--exclude-data", "\"MixedCase\"", "--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(model.sandbox_sql("SELECT to_regclass('public.chicken') IS NULL"), "t\n");
    EXPECT_EQ(model.sandbox_sql("SELECT count(*) FROM \"MixedCase\""), "0\n");
    EXPECT_EQ(model.sandbox_sql("SELECT count(*) FROM egg"), "2\n");
    // egg's foreign key into the excluded chicken table is left out, and said so.
    EXPECT_NE(run.err.find("references excluded table public.chicken"), std::string::npos) << run.err;
    auto report = nlohmann::json::parse(run.out);
    bool data_excluded_listed = false;
    for (const auto& e : report["data_excluded"]) data_excluded_listed |= e["name"] == "public.MixedCase";
    EXPECT_TRUE(data_excluded_listed) << report.dump(2);
    EXPECT_EQ(report["committed"], true);
}

TEST_F(RefreshFidelity, FailingSchemaEntryIsNamedAndNothingChanges) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    ASSERT_EQ(refresh(model).exit_code, 0);
    auto before = capture_state(cluster(), model.sandbox(), sandbox_role);
    // The view customer_names reads the excluded table: its restore must fail.
    auto run = refresh(model, {"--exclude", "public.customer"});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("could not restore VIEW public.customer_names (pre-data)"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("relation \"public.customer\" does not exist"), std::string::npos) << run.err;
    auto after = capture_state(cluster(), model.sandbox(), sandbox_role);
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

TEST_F(RefreshFidelity, VerifyReportsDifferencesWithExitFour) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    ASSERT_EQ(refresh(model).exit_code, 0);
    model.sandbox_sql("SET ROLE sbx_sandbox_owner; UPDATE employee SET name = 'changed' WHERE id = 3");
    model.sandbox_sql("SET ROLE sbx_sandbox_owner; DELETE FROM vehicle WHERE id = 1");
    auto run = verify(model);
    EXPECT_EQ(run.exit_code, 4) << run.all();
    EXPECT_NE(run.out.find("table public.employee: same row count (3), different content"), std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("table public.vehicle: 2 rows in the source, 1 in the sandbox"), std::string::npos)
        << run.out;
}

}  // namespace
}  // namespace sandboxctl::test
