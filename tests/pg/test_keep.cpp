// [[refresh.keep]]: sandbox rows that outlive a refresh and a full reset,
// winning over prod's rows on the primary key or a unique key; a rule that
// cannot be applied leaves the sandbox as it was.
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

// Prod: a settings table (serial key, unique name), an agents table (identity
// key, a generated column) with a table referring to it, and a notes table
// (serial key, no other key).
constexpr const char* prod_schema = R"(
SET ROLE sbx_app;
CREATE TABLE settings (id serial PRIMARY KEY, name text NOT NULL UNIQUE, value text);
INSERT INTO settings (name, value) VALUES ('MAIN_TITLE', 'Prod'), ('SANDBOX_MODE', 'prod'), ('MAIN_LANG', 'en');
CREATE TABLE agent (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, login text UNIQUE, api_key text,
                    login_upper text GENERATED ALWAYS AS (upper(login)) STORED);
INSERT INTO agent (login, api_key) VALUES ('alice', 'prod-a'), ('bob', 'prod-b');
CREATE TABLE assignment (id int PRIMARY KEY, agent_id int NOT NULL REFERENCES agent (id));
INSERT INTO assignment VALUES (1, 2);
CREATE TABLE note (id serial PRIMARY KEY, body text);
INSERT INTO note (body) VALUES ('prod 1'), ('prod 2');
)";

class Keep : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = std::make_unique<Model>(cluster(), test_name());
        model_->prod_sql(prod_schema);
        auto first = run({"refresh", "--source", model_->source()});
        ASSERT_EQ(first.exit_code, 0) << first.all();
        // The sandbox's own rows: a setting prod also has (changed here), a
        // setting only the sandbox has (its id 4), an agent and a note.
        model_->sandbox_sql(R"(
UPDATE settings SET value = 'sandbox' WHERE name = 'SANDBOX_MODE';
UPDATE settings SET value = 'Sandbox title' WHERE name = 'MAIN_TITLE';
INSERT INTO settings (name, value) VALUES ('SANDBOX_TOKEN', 'sandbox-token');
INSERT INTO agent (login, api_key) VALUES ('ai_agent', 'sandbox-key');
INSERT INTO note (body) VALUES ('mine');
)");
        // Meanwhile prod gives id 4 to another setting and SANDBOX_MODE a
        // new id (5): the kept rows must replace both.
        model_->prod_sql(R"(
SET ROLE sbx_app;
INSERT INTO settings (name, value) VALUES ('NEW_PROD', 'x');
DELETE FROM settings WHERE name = 'SANDBOX_MODE';
INSERT INTO settings (name, value) VALUES ('SANDBOX_MODE', 'prod-new');
)");
    }

    ToolRun run(std::vector<std::string> args) {
        args.insert(args.end(), {"--target", model_->target(), "--snapshot-dir", (work_ / "snapshots").string()});
        return run_tool(args, {{"XDG_STATE_HOME", (work_ / "state").string()}});
    }

    // A config file with these [[refresh.keep]] rules (table, where).
    std::string config(const std::vector<std::pair<std::string, std::string>>& rules) {
        auto path = work_ / "sandboxctl.toml";
        std::ofstream file(path);
        for (const auto& [table, where] : rules) {
            file << "[[refresh.keep]]\ntable = " << nlohmann::json(table).dump()
                 << "\nwhere = " << nlohmann::json(where).dump() << "\n";
        }
        return path.string();
    }

    std::string the_rules() {
        return config({{"public.settings", "name LIKE 'SANDBOX\\_%'"},
                       {"agent", "login = 'ai_agent'"},
                       {"public.note", "body = 'mine'"}});
    }

    std::string sandbox(const std::string& sql) { return model_->sandbox_sql(sql); }
    DatabaseState state() { return capture_state(cluster(), model_->sandbox(), sandbox_role); }

    // A refresh that must fail and leave the sandbox exactly as it was.
    ToolRun expect_refused_unchanged(const std::string& config_file) {
        auto before = state();
        auto failed = run({"-c", config_file, "refresh", "--source", model_->source()});
        EXPECT_EQ(failed.exit_code, 1) << failed.all();
        auto after = state();
        EXPECT_TRUE(before == after) << describe_differences(before, after);
        EXPECT_EQ(sandbox("SELECT value FROM settings WHERE name = 'SANDBOX_MODE'"), "sandbox\n");
        return failed;
    }

    void expect_kept_settings() {
        EXPECT_EQ(sandbox("SELECT string_agg(id || '=' || name || '=' || value, ' ' ORDER BY id) FROM settings"),
                  "1=MAIN_TITLE=Prod 2=SANDBOX_MODE=sandbox 3=MAIN_LANG=en 4=SANDBOX_TOKEN=sandbox-token\n");
        EXPECT_EQ(sandbox("SELECT id || ' ' || api_key || ' ' || login_upper FROM agent WHERE login = 'ai_agent'"),
                  "3 sandbox-key AI_AGENT\n");
        EXPECT_EQ(sandbox("SELECT string_agg(id || '=' || body, ' ' ORDER BY id) FROM note"),
                  "1=prod 1 2=prod 2 3=mine\n");
    }

    std::unique_ptr<Model> model_;
    TempDir work_{"sandboxctl-keep-test"};
};

TEST_F(Keep, RowsOutliveARefreshAndWinOnEveryKey) {
    auto refreshed = run({"-c", the_rules(), "refresh", "--source", model_->source(), "--json", "-"});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    // SANDBOX_MODE (id 2) replaced prod's SANDBOX_MODE (id 5, same name) and
    // SANDBOX_TOKEN (id 4) prod's NEW_PROD (same id); MAIN_TITLE, not kept,
    // is prod's again.
    expect_kept_settings();
    EXPECT_EQ(sandbox("SELECT count(*) FROM settings WHERE name = 'NEW_PROD' OR value = 'prod-new'"), "0\n");
    EXPECT_EQ(sandbox("SELECT string_agg(login || '=' || api_key, ' ' ORDER BY id) FROM agent"),
              "alice=prod-a bob=prod-b ai_agent=sandbox-key\n");

    auto report = nlohmann::json::parse(refreshed.out);
    ASSERT_EQ(report["kept"].size(), 3u) << report.dump(2);
    auto kept = [](const char* table, const char* where, int rows, int replaced) {
        return nlohmann::json{{"table", table}, {"where", where},       {"key", {"id"}},
                              {"rows", rows},   {"replaced", replaced}, {"skipped", nullptr}};
    };
    EXPECT_EQ(report["kept"][0], kept("public.settings", "name LIKE 'SANDBOX\\_%'", 2, 2));
    EXPECT_EQ(report["kept"][1], kept("public.agent", "login = 'ai_agent'", 1, 0));
    EXPECT_EQ(report["kept"][2], kept("public.note", "body = 'mine'", 1, 0));

    // The text report says so too.
    auto again = run({"-c", the_rules(), "refresh", "--source", model_->source()});
    ASSERT_EQ(again.exit_code, 0) << again.all();
    EXPECT_NE(again.out.find("Kept sandbox rows:"), std::string::npos) << again.out;
    EXPECT_NE(again.out.find("public.agent"), std::string::npos) << again.out;
    expect_kept_settings();
}

TEST_F(Keep, OwnedSequencesMovePastTheKeptRows) {
    auto refreshed = run({"-c", the_rules(), "refresh", "--source", model_->source()});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    // Prod's sequences stopped at 2 (agent, note); the kept rows hold 3.
    EXPECT_EQ(sandbox("INSERT INTO agent (login) VALUES ('carol') RETURNING id"), "4\n");
    EXPECT_EQ(sandbox("INSERT INTO note (body) VALUES ('next') RETURNING id"), "4\n");
    // A sequence already past the kept rows (prod's settings reached 5) stays.
    EXPECT_EQ(sandbox("INSERT INTO settings (name) VALUES ('LATER') RETURNING id"), "6\n");
}

TEST_F(Keep, AFullResetKeepsTheRowsAsTheyAreNowADeltaResetAsAtTheSnapshot) {
    auto refreshed = run({"-c", the_rules(), "refresh", "--source", model_->source(), "--snapshot", "golden"});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    // A delta reset keeps nothing: the kept rows go back to the snapshot's.
    sandbox("UPDATE settings SET value = 'changed after the snapshot' WHERE name = 'SANDBOX_MODE'");
    auto delta = run({"-c", the_rules(), "reset", "--json", "-"});
    ASSERT_EQ(delta.exit_code, 0) << delta.all();
    EXPECT_EQ(nlohmann::json::parse(delta.out)["mode"], "delta");
    EXPECT_EQ(nlohmann::json::parse(delta.out)["kept"], nlohmann::json::array());
    EXPECT_EQ(sandbox("SELECT value FROM settings WHERE name = 'SANDBOX_MODE'"), "sandbox\n");

    sandbox(R"(
UPDATE settings SET value = 'changed after the snapshot' WHERE name = 'SANDBOX_MODE';
UPDATE settings SET value = 'scribbled' WHERE name = 'MAIN_LANG';
DELETE FROM note WHERE body = 'prod 1';
)");
    auto reset = run({"-c", the_rules(), "reset", "--full", "--json", "-"});
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    EXPECT_EQ(sandbox("SELECT string_agg(name || '=' || value, ' ' ORDER BY id) FROM settings"),
              "MAIN_TITLE=Prod SANDBOX_MODE=changed after the snapshot MAIN_LANG=en SANDBOX_TOKEN=sandbox-token\n");
    EXPECT_EQ(sandbox("SELECT string_agg(body, ' ' ORDER BY id) FROM note"), "prod 1 prod 2 mine\n");
    auto report = nlohmann::json::parse(reset.out);
    EXPECT_EQ(report["mode"], "full");
    ASSERT_EQ(report["kept"].size(), 3u) << report.dump(2);
    // The snapshot's own SANDBOX_ rows share their keys with the kept ones.
    EXPECT_EQ(report["kept"][0]["table"], "public.settings");
    EXPECT_EQ(report["kept"][0]["rows"], 2);
    EXPECT_EQ(report["kept"][0]["replaced"], 2);
    EXPECT_EQ(report["kept"][1]["replaced"], 1);

    auto text = run({"-c", the_rules(), "reset", "--full"});
    ASSERT_EQ(text.exit_code, 0) << text.all();
    EXPECT_NE(text.out.find("kept 2 rows of public.settings"), std::string::npos) << text.out;
}

// Issue 18, item 8: a rule that finds nothing to keep (a first refresh, a
// table the agent dropped, a where its table no longer satisfies) is a
// warning: refresh and full reset, the ways back, never depend on the
// sandbox's own state. A where that does not fit prod's table is a mistake
// in the rule, refused before anything changes (exit 2).
TEST_F(Keep, AWhereThatDoesNotFitProdIsRefusedBeforeAnyChange) {
    auto before = state();
    auto failed =
        run({"-c", config({{"public.settings", "no_such_column = 1"}}), "refresh", "--source", model_->source()});
    EXPECT_EQ(failed.exit_code, 2) << failed.all();
    EXPECT_NE(failed.err.find("where does not fit prod's table public.settings: column \"no_such_column\" does not "
                              "exist"),
              std::string::npos)
        << failed.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

TEST_F(Keep, NothingToKeepIsAWarningAndNeverBlocksARecovery) {
    auto rules = config({{"public.settings", "name LIKE 'SANDBOX\\_%'"}, {"public.note", "body = 'mine'"}});
    ASSERT_EQ(run({"-c", rules, "refresh", "--source", model_->source(), "--snapshot", "golden"}).exit_code, 0);
    // The agent drops one kept table and breaks the other's where.
    sandbox("DROP TABLE note; ALTER TABLE settings RENAME COLUMN name TO label");
    for (const std::vector<std::string>& args :
         {std::vector<std::string>{"reset", "--full", "--json", "-"},
          std::vector<std::string>{"refresh", "--source", model_->source(), "--json", "-"}}) {
        std::vector<std::string> with_config{"-c", rules};
        with_config.insert(with_config.end(), args.begin(), args.end());
        auto recovered = run(with_config);
        ASSERT_EQ(recovered.exit_code, 0) << recovered.all();
        auto report = nlohmann::json::parse(recovered.out);
        EXPECT_NE(report["kept"][0]["skipped"].get<std::string>().find("column \"name\" does not exist"),
                  std::string::npos)
            << recovered.out;
        EXPECT_EQ(report["kept"][1]["skipped"], "no such table in the sandbox: nothing to keep") << recovered.out;
        EXPECT_NE(recovered.err.find("warning: [[refresh.keep]] table \"public.note\""), std::string::npos)
            << recovered.err;
        sandbox("DROP TABLE note; ALTER TABLE settings RENAME COLUMN name TO label");
    }
    auto doctor = run_tool({"-c", rules, "doctor", "--source", model_->source(), "--target", model_->target()});
    EXPECT_EQ(doctor.exit_code, 3) << doctor.all();
    EXPECT_NE(doctor.out.find("FAIL keep rule table \"public.settings\""), std::string::npos) << doctor.out;
    EXPECT_NE(doctor.out.find("the where fails in the sandbox: column \"name\" does not exist"), std::string::npos)
        << doctor.out;
    EXPECT_NE(doctor.out.find("WARN keep rule table \"public.note\""), std::string::npos) << doctor.out;
}

TEST_F(Keep, AFirstRefreshIntoAnEmptySandboxKeepsNothing) {
    Model fresh(cluster(), test_name() + "_fresh");
    fresh.prod_sql(prod_schema);
    auto first = run_tool({"-c", the_rules(), "refresh", "--source", fresh.source(), "--target", fresh.target()},
                          {{"XDG_STATE_HOME", (work_ / "state").string()}});
    ASSERT_EQ(first.exit_code, 0) << first.all();
    EXPECT_NE(first.err.find("no such table in the sandbox: nothing to keep"), std::string::npos) << first.err;
    EXPECT_EQ(fresh.sandbox_sql("SELECT count(*) FROM settings"), "3\n");
}

TEST_F(Keep, ATableProdDroppedKeepsNothingAndSaysSo) {
    model_->prod_sql("DROP TABLE note");
    auto refreshed = run({"-c", the_rules(), "refresh", "--source", model_->source(), "--json", "-"});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    EXPECT_NE(refreshed.err.find("prod has no such table"), std::string::npos) << refreshed.err;
    auto report = nlohmann::json::parse(refreshed.out);
    EXPECT_NE(report["kept"][2]["skipped"].get<std::string>().find("table public.note no longer exists after the "
                                                                   "load"),
              std::string::npos)
        << refreshed.out;
    EXPECT_EQ(sandbox("SELECT value FROM settings WHERE name = 'SANDBOX_MODE'"), "sandbox\n");
}

TEST_F(Keep, AKeptColumnProdDroppedIsLeftOutAndNamed) {
    model_->prod_sql("ALTER TABLE settings DROP COLUMN value");
    auto refreshed = run({"-c", the_rules(), "refresh", "--source", model_->source()});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    EXPECT_NE(refreshed.err.find("written back without column(s) value"), std::string::npos) << refreshed.err;
    EXPECT_EQ(sandbox("SELECT string_agg(id || '=' || name, ' ' ORDER BY id) FROM settings"),
              "1=MAIN_TITLE 2=SANDBOX_MODE 3=MAIN_LANG 4=SANDBOX_TOKEN\n");
}

// Issue 18, item 5: a rule on a table without a key added a copy of each
// kept row at every refresh; overlapping rules counted each other's rows.
TEST_F(Keep, ARuleNeedsAKeyAndKeepsEachRowOnce) {
    model_->prod_sql(
        "SET ROLE sbx_app; CREATE TABLE tag (name text, colour text); INSERT INTO tag VALUES ('a', 'red')");
    auto keyless = config({{"public.tag", "true"}});
    auto before = state();
    auto refused = run({"-c", keyless, "refresh", "--source", model_->source()});
    EXPECT_EQ(refused.exit_code, 2) << refused.all();
    EXPECT_NE(refused.err.find("[[refresh.keep]] table \"public.tag\""), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("the table has no primary key, nor a unique key on NOT NULL columns"), std::string::npos)
        << refused.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
    auto doctor = run_tool({"-c", keyless, "doctor", "--source", model_->source(), "--target", model_->target()});
    EXPECT_EQ(doctor.exit_code, 3) << doctor.all();
    EXPECT_NE(doctor.out.find("FAIL keep rule table \"public.tag\""), std::string::npos) << doctor.out;

    auto path = work_ / "keyed.toml";
    std::ofstream(path) << "[[refresh.keep]]\ntable = \"public.tag\"\nwhere = \"true\"\nkey = [\"name\"]\n"
                        << "[[refresh.keep]]\ntable = \"public.settings\"\nwhere = \"name LIKE 'SANDBOX%'\"\n"
                        << "[[refresh.keep]]\ntable = \"public.settings\"\nwhere = \"name = 'SANDBOX_MODE' -- mine\"\n";
    auto first = run({"-c", path.string(), "refresh", "--source", model_->source()});
    ASSERT_EQ(first.exit_code, 0) << first.all();
    sandbox("UPDATE tag SET colour = 'blue'");
    for (int i = 0; i < 3; ++i) {
        auto refreshed = run({"-c", path.string(), "refresh", "--source", model_->source(), "--json", "-"});
        ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
        auto report = nlohmann::json::parse(refreshed.out);
        EXPECT_EQ(report["kept"][0]["rows"], 1) << refreshed.out;
        EXPECT_EQ(report["kept"][0]["replaced"], 1) << refreshed.out;
        EXPECT_EQ(report["kept"][1]["rows"], 2) << refreshed.out;
        EXPECT_EQ(report["kept"][1]["replaced"], 2) << refreshed.out;
        EXPECT_EQ(report["kept"][2]["rows"], 0) << refreshed.out;  // the first rule kept it already
    }
    EXPECT_EQ(sandbox("SELECT string_agg(name || '=' || colour, ',') FROM tag"), "a=blue\n");
    EXPECT_EQ(sandbox("SELECT value FROM settings WHERE name = 'SANDBOX_MODE'"), "sandbox\n");
}

// The hostile review of issue 18: a unique key with a nullable column let
// kept rows multiply; an agent that dropped the key blocked every refresh;
// a failing where quoted the row's value in the message.
TEST_F(Keep, OnlyAKeyThatIdentifiesRowsIsUsedAndTheAgentCannotBlockTheWayBack) {
    model_->prod_sql("SET ROLE sbx_app; CREATE TABLE pair (a int NOT NULL, b int, label text, UNIQUE (a, b));"
                     "INSERT INTO pair VALUES (1, NULL, 'prod');");
    auto before = state();
    auto refused = run({"-c", config({{"public.pair", "a = 1"}}), "refresh", "--source", model_->source()});
    EXPECT_EQ(refused.exit_code, 2) << refused.all();
    EXPECT_NE(refused.err.find("the table has no primary key, nor a unique key on NOT NULL columns"), std::string::npos)
        << refused.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);

    // The agent drops settings' keys: nothing kept, but the refresh runs.
    sandbox("ALTER TABLE settings DROP CONSTRAINT settings_pkey CASCADE; "
            "ALTER TABLE settings DROP CONSTRAINT settings_name_key");
    auto refreshed = run({"-c", config({{"public.settings", "name LIKE 'SANDBOX%'"}}), "refresh", "--source",
                          model_->source(), "--json", "-"});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    EXPECT_NE(nlohmann::json::parse(refreshed.out)["kept"][0]["skipped"].get<std::string>().find(
                  "no key to keep rows on in the sandbox's table"),
              std::string::npos)
        << refreshed.out;

    // A where that fails on a value names the error, not the value.
    sandbox("INSERT INTO note (body) VALUES ('secret-Body-7731')");
    auto failing = run({"-c", config({{"public.note", "body::int > 0"}}), "refresh", "--source", model_->source()});
    EXPECT_EQ(failing.exit_code, 0) << failing.all();
    EXPECT_NE(failing.err.find("invalid input syntax for type integer (SQLSTATE 22P02)"), std::string::npos)
        << failing.err;
    EXPECT_EQ(failing.all().find("secret-Body"), std::string::npos) << failing.all();
}

// Issue 18, item 12: a where was raw SQL sent with PQexec: a second
// statement, a -- comment that swallowed the closing parenthesis, and a
// call that released the run lock all got through.
TEST_F(Keep, AWhereIsOneExpressionThatCannotReleaseTheRunLock) {
    for (const char* where : {"true) TO STDOUT; COPY settings TO STDOUT; --", "true; SELECT 1", "(true", "true)",
                              "'unclosed", "/* open", "-- only a comment"}) {
        auto before = state();
        auto refused = run({"-c", config({{"public.settings", where}}), "refresh", "--source", model_->source()});
        EXPECT_EQ(refused.exit_code, 2) << where << "\n" << refused.all();
        EXPECT_NE(refused.err.find("where is not one SQL expression"), std::string::npos) << refused.err;
        auto after = state();
        EXPECT_TRUE(before == after) << describe_differences(before, after);
    }
    auto unlock = expect_refused_unchanged(
        config({{"public.settings", "name = 'SANDBOX_MODE' AND pg_catalog.pg_advisory_unlock_all() IS NULL"}}));
    EXPECT_NE(unlock.err.find("released sandboxctl's run lock"), std::string::npos) << unlock.err;
    auto commented = run({"-c", config({{"public.settings", "name = 'SANDBOX_MODE' -- the agent's mode"}}), "refresh",
                          "--source", model_->source()});
    ASSERT_EQ(commented.exit_code, 0) << commented.all();
    EXPECT_EQ(sandbox("SELECT value FROM settings WHERE name = 'SANDBOX_MODE'"), "sandbox\n");
}

TEST_F(Keep, AForeignKeyThatBlocksTheReplacementLeavesTheSandboxUnchanged) {
    // bob (id 2) is referred to by prod's assignment 1: the sandbox's bob,
    // under another id, cannot replace him.
    sandbox("UPDATE assignment SET agent_id = 1; DELETE FROM agent WHERE login = 'bob';"
            "INSERT INTO agent (login, api_key) VALUES ('bob', 'sandbox-b')");
    auto failed = expect_refused_unchanged(config({{"public.agent", "login = 'bob'"}}));
    EXPECT_NE(failed.err.find("could not keep rows of table \"public.agent\""), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("foreign key"), std::string::npos) << failed.err;
    EXPECT_NE(failed.err.find("HINT:"), std::string::npos) << failed.err;
}

}  // namespace
}  // namespace sandboxctl::test
