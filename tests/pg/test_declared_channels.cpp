// [[channels]] (issue 20): an application sandboxctl has no profile for
// declares its own outgoing channels; a refresh and a full reset switch each
// off inside their transaction and refuse to commit while one is live, and
// app-check reports them. No [dolibarr] section anywhere.
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"
#include "harness/psql_session.hpp"

namespace sandboxctl::test {
namespace {

// A small application of its own: partner exports (active flag) and an
// outbound webhook queue (enabled 0/1), both live in prod, and orders.
constexpr const char* channel_app_schema = R"(
SET ROLE sbx_app;
CREATE TABLE partner_export (id int PRIMARY KEY, partner text NOT NULL, active boolean NOT NULL);
INSERT INTO partner_export VALUES (1, 'acme', true), (2, 'globex', false), (3, 'initech', true);
CREATE TABLE hook_queue (id int PRIMARY KEY, url text NOT NULL, enabled int NOT NULL);
INSERT INTO hook_queue VALUES (1, 'https://hooks.example.invalid/a', 1);
CREATE TABLE orders (id int PRIMARY KEY, total numeric NOT NULL);
INSERT INTO orders SELECT g, g * 10 FROM generate_series(1, 50) g;
CREATE TABLE customer (id int PRIMARY KEY, secret text NOT NULL);
INSERT INTO customer VALUES (1, 'PRODROWSECRET_alice');
CREATE FUNCTION enable_exports() RETURNS boolean LANGUAGE sql AS $$
  UPDATE partner_export SET active = true; SELECT false $$;
)";

struct DeclaredChannel {
    std::string name, live_when, switch_off;
};

const DeclaredChannel partner_export{"partner export", "EXISTS (SELECT 1 FROM partner_export WHERE active)",
                                     "UPDATE partner_export SET active = false WHERE active"};
const DeclaredChannel outbound_hooks{"outbound hooks", "EXISTS (SELECT 1 FROM hook_queue WHERE enabled = 1)",
                                     "UPDATE hook_queue SET enabled = 0 WHERE enabled = 1"};

// A declaration beside partner_export, and how the refresh must answer it.
struct ChannelCase {
    DeclaredChannel channel;
    int exit_code;
    const char* message;
};

class DeclaredChannels : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = std::make_unique<Model>(cluster(), test_name());
        model_->prod_sql(channel_app_schema);
    }

    ToolRun run(std::vector<std::string> args, const std::string& pgpassword = "") {
        args.insert(args.end(), {"--target", model_->target()});
        std::vector<std::string> with_state = {"--snapshot-dir", (work_ / "snapshots").string()};
        if (args.size() > 2 && (args[2] == "refresh" || args[2] == "reset" || args[2] == "snapshot")) {
            args.insert(args.end(), with_state.begin(), with_state.end());
        }
        std::vector<std::pair<std::string, std::string>> env = {{"XDG_STATE_HOME", (work_ / "state").string()}};
        if (!pgpassword.empty()) env.emplace_back("PGPASSWORD", pgpassword);
        return run_tool(args, env);
    }

    // A config declaring `channels`, then `extra` (more TOML) as written.
    std::string config(const std::vector<DeclaredChannel>& channels, const std::string& extra = "") {
        auto path = work_ / "sandboxctl.toml";
        std::ofstream file(path);
        for (const auto& c : channels) {
            file << "[[channels]]\nname = " << nlohmann::json(c.name).dump()
                 << "\nlive_when = " << nlohmann::json(c.live_when).dump()
                 << "\nswitch_off = " << nlohmann::json(c.switch_off).dump() << "\n";
        }
        file << extra;
        return path.string();
    }

    std::string sandbox(const std::string& sql) { return model_->sandbox_sql(sql); }
    std::string prod(const std::string& sql) { return model_->prod_sql(sql); }
    DatabaseState state() { return capture_state(cluster(), model_->sandbox(), sandbox_role); }

    // A refreshed sandbox with a row of its own: what a refused run must leave.
    DatabaseState refreshed_with_own_row() {
        EXPECT_EQ(run({"-c", config({partner_export}), "refresh", "--source", model_->source()}).exit_code, 0);
        sandbox("INSERT INTO orders VALUES (1000, 1)");
        return state();
    }

    // A refresh with `c`'s channel beside partner_export: its exit code and
    // message, the channel named (and the file, for a usage error), the
    // sandbox as `before`.
    void expect_answer(const ChannelCase& c, const DatabaseState& before) {
        auto result = run({"-c", config({partner_export, c.channel}), "refresh", "--source", model_->source()});
        EXPECT_EQ(result.exit_code, c.exit_code) << c.channel.name << "\n" << result.all();
        EXPECT_NE(result.err.find(c.message), std::string::npos) << c.channel.name << "\n" << result.err;
        if (c.exit_code == 2) {
            EXPECT_NE(result.err.find("sandboxctl.toml:"), std::string::npos) << result.err;
        }
        // The declaration of `c` is lines 5 to 8 (after partner_export's): a
        // problem with a key names that key's line.
        std::string message = c.message;
        if (c.exit_code == 2 && message.starts_with("live_when")) {
            EXPECT_NE(result.err.find("sandboxctl.toml:7:"), std::string::npos) << result.err;
        }
        if (c.exit_code == 2 && message.starts_with("switch_off")) {
            EXPECT_NE(result.err.find("sandboxctl.toml:8:"), std::string::npos) << result.err;
        }
        if (c.channel.name.find('\n') == std::string::npos) {
            EXPECT_NE(result.err.find(c.channel.name), std::string::npos) << result.err;
        }
        auto after = state();
        EXPECT_TRUE(before == after) << c.channel.name << "\n" << describe_differences(before, after);
    }

    std::unique_ptr<Model> model_;
    TempDir work_{"sandboxctl-channels-test"};
};

TEST_F(DeclaredChannels, ARefreshSwitchesEachOffAndReportsIt) {
    auto both = config({partner_export, outbound_hooks});
    auto refreshed = run({"-c", both, "refresh", "--source", model_->source(), "--json", "-"});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    EXPECT_EQ(sandbox("SELECT string_agg(id || '=' || active, ' ' ORDER BY id) FROM partner_export"),
              "1=false 2=false 3=false\n");
    EXPECT_EQ(sandbox("SELECT string_agg(id || '=' || enabled, ' ' ORDER BY id) FROM hook_queue"), "1=0\n");
    EXPECT_EQ(sandbox("SELECT count(*) FROM orders"), "50\n");
    // Prod is never written.
    EXPECT_EQ(prod("SELECT string_agg(id || '=' || active, ' ' ORDER BY id) FROM partner_export"),
              "1=true 2=false 3=true\n");
    auto report = nlohmann::json::parse(refreshed.out);
    ASSERT_EQ(report["channels"].size(), 2u) << refreshed.out;
    EXPECT_EQ(report["channels"][0]["name"], "partner export");
    EXPECT_EQ(report["channels"][0]["rows"], 2);
    EXPECT_EQ(report["channels"][1]["name"], "outbound hooks");
    EXPECT_EQ(report["channels"][1]["rows"], 1);
    EXPECT_FALSE(report.contains("dolibarr")) << refreshed.out;
    auto text = run({"-c", both, "refresh", "--source", model_->source()});
    ASSERT_EQ(text.exit_code, 0) << text.all();
    EXPECT_NE(text.out.find("partner export"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("switched off (2 rows changed)"), std::string::npos) << text.out;
}

TEST_F(DeclaredChannels, AppCheckExitsThreeWhenOneIsSwitchedBackOn) {
    auto both = config({partner_export, outbound_hooks});
    ASSERT_EQ(run({"-c", both, "refresh", "--source", model_->source()}).exit_code, 0);
    auto clean = run({"-c", both, "app-check", "--json", "-"});
    EXPECT_EQ(clean.exit_code, 0) << clean.all();
    auto doc = nlohmann::json::parse(clean.out);
    EXPECT_EQ(doc["live"], false);
    ASSERT_EQ(doc["applications"].size(), 1u) << clean.out;
    EXPECT_EQ(doc["applications"][0]["name"], "channels");

    sandbox("UPDATE hook_queue SET enabled = 1");
    auto live = run({"-c", both, "app-check", "--json", "-"});
    EXPECT_EQ(live.exit_code, 3) << live.all();
    doc = nlohmann::json::parse(live.out);
    ASSERT_EQ(doc["live_channels"].size(), 1u) << live.out;
    EXPECT_EQ(doc["live_channels"][0]["channel"], "outbound hooks");
    EXPECT_NE(doc["live_channels"][0]["where"].get<std::string>().find("sandboxctl.toml:"), std::string::npos);
    // Nothing was changed by the check.
    EXPECT_EQ(sandbox("SELECT enabled FROM hook_queue"), "1\n");
    // Without the config, a database of no known application has nothing to check.
    auto nothing = run({"app-check"});
    EXPECT_EQ(nothing.exit_code, 2) << nothing.all();
    EXPECT_NE(nothing.err.find("nothing to check"), std::string::npos) << nothing.err;
}

TEST_F(DeclaredChannels, ARefreshIsRefusedWhenPostRefreshSqlKeepsOneLive) {
    auto both = config({partner_export, outbound_hooks});
    ASSERT_EQ(run({"-c", both, "refresh", "--source", model_->source()}).exit_code, 0);
    sandbox("INSERT INTO orders VALUES (1000, 1)");  // the sandbox's own state, to prove nothing commits
    auto before = state();
    // A trigger the post-refresh SQL installs turns every switch_off of the
    // hooks back on; and a deferred one, which would fire at COMMIT.
    std::ofstream(work_ / "keep-live.sql") << R"(
CREATE FUNCTION keep_hooks_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.enabled := 1; RETURN NEW; END $$;
CREATE TRIGGER keep_hooks_on BEFORE UPDATE ON hook_queue FOR EACH ROW EXECUTE FUNCTION keep_hooks_on();
)";
    auto with_sql = config({partner_export, outbound_hooks},
                           "[refresh]\npost_sql = [\"" + (work_ / "keep-live.sql").string() + "\"]\n");
    auto refused = run({"-c", with_sql, "refresh", "--source", model_->source()});
    EXPECT_EQ(refused.exit_code, 3) << refused.all();
    EXPECT_NE(refused.err.find("outbound hooks"), std::string::npos) << refused.err;
    EXPECT_NE(refused.err.find("Nothing was committed"), std::string::npos) << refused.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);

    std::ofstream(work_ / "deferred.sql") << R"(
CREATE FUNCTION turn_exports_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE partner_export SET active = true WHERE id = 3; RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER turn_exports_on AFTER UPDATE ON hook_queue DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION turn_exports_on();
)";
    auto deferred = config({partner_export, outbound_hooks},
                           "[refresh]\npost_sql = [\"" + (work_ / "deferred.sql").string() + "\"]\n");
    refused = run({"-c", deferred, "refresh", "--source", model_->source()});
    EXPECT_EQ(refused.exit_code, 3) << refused.all();
    EXPECT_NE(refused.err.find("partner export"), std::string::npos) << refused.err;
    after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

TEST_F(DeclaredChannels, AFullResetSwitchesOffWhatTheSnapshotHoldsLive) {
    // The snapshot is taken before the hooks were declared: its rows hold
    // them live. The full reset, with the channel declared, switches them off.
    auto exports_only = config({partner_export});
    ASSERT_EQ(run({"-c", exports_only, "refresh", "--source", model_->source()}).exit_code, 0);
    ASSERT_EQ(sandbox("SELECT enabled FROM hook_queue"), "1\n");
    auto snapshot = run({"-c", exports_only, "snapshot", "create", "golden"});
    ASSERT_EQ(snapshot.exit_code, 0) << snapshot.all();
    auto both = config({partner_export, outbound_hooks});
    auto reset = run({"-c", both, "reset", "golden", "--full", "--json", "-"});
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    EXPECT_EQ(sandbox("SELECT enabled FROM hook_queue"), "0\n");
    auto doc = nlohmann::json::parse(reset.out);
    ASSERT_EQ(doc["channels"].size(), 2u) << reset.out;
    EXPECT_EQ(doc["channels"][1]["rows"], 1);
}

// The declarations are the user's SQL: each misuse is refused before
// anything is touched, naming the file, line and channel.
TEST_F(DeclaredChannels, MisdeclaredChannelsAreRefusedBeforeAnythingChanges) {
    auto before = refreshed_with_own_row();
    for (const auto& c : std::vector<ChannelCase>{
             {{"second statement", "true); DROP TABLE orders; SELECT (true", "UPDATE orders SET total = 0"},
              2,
              "live_when is not one SQL expression"},
             // A trailing comment cannot reach the parenthesis: "true" is
             // live, and the refresh is refused as live, not as malformed.
             {{"comment eats paren", "true --", "UPDATE orders SET total = 0"}, 3, "live_when is not false"},
             {{"two statements", "false", "UPDATE orders SET total = 0; DELETE FROM orders"},
              2,
              "switch_off is 2 SQL statements, not one"},
             {{"commit", "false", "COMMIT"}, 2, "switch_off's COMMIT would leave the transaction"},
             {{"only a comment", "false", "-- nothing"}, 2, "switch_off is 0 SQL statements"},
             {{"missing table", "EXISTS (SELECT 1 FROM no_such_table)", "UPDATE orders SET total = 0"},
              1,
              "live_when failed: relation \"no_such_table\" does not exist"},
             {{"bad switch", "false", "UPDATE no_such_table SET x = 1"}, 1, "switch_off failed"},
             {{"not boolean", "now()", "UPDATE orders SET total = 0 WHERE false"}, 1, "live_when failed"},
             {{"null", "NULL", "UPDATE orders SET total = 0 WHERE false"}, 3, "live_when is not false"},
             // The same name twice, in another case.
             {{"Partner Export", "false", "UPDATE orders SET total = 0 WHERE false"}, 2, "declared already"},
         }) {
        expect_answer(c, before);
    }
    // [channels] as a table, not an array of tables.
    auto path = work_ / "table.toml";
    std::ofstream(path) << "[channels]\nname = \"x\"\n";
    auto table = run({"-c", path.string(), "app-check"});
    EXPECT_EQ(table.exit_code, 2) << table.all();
    EXPECT_NE(table.err.find("must be an array of tables ([[channels]])"), std::string::npos) << table.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

// Found by attacking the feature (issue 20's hostile review): each of these
// slipped through before its fix.
TEST_F(DeclaredChannels, HostileDeclarationsCannotSlipPastTheChecks) {
    auto before = refreshed_with_own_row();
    for (const auto& c : std::vector<ChannelCase>{
             // A set-returning live_when was judged by its first row.
             {{"set returning", "unnest(ARRAY[false, true])", "UPDATE orders SET total = 0 WHERE false"},
              1,
              "live_when failed: argument of IS NOT FALSE must not return a set"},
             // A live_when that writes, after the channels before it were checked.
             {{"writes", "enable_exports()", "UPDATE orders SET total = 0 WHERE false"},
              1,
              "cannot execute UPDATE in a read-only transaction"},
             // Releasing the run lock another run waits on.
             {{"unlocks", "pg_advisory_unlock_all()::text = 'x'", "UPDATE orders SET total = 0 WHERE false"},
              1,
              "released sandboxctl's run lock"},
             {{"unlocks too", "false", "SELECT pg_advisory_unlock_all()"}, 1, "released sandboxctl's run lock"},
             // Session state: RESET ALL switched off the disconnect check.
             {{"reset", "false", "RESET ALL"}, 2, "switch_off is a RESET statement; it must change data"},
             {{"set", "false", "SET search_path = nowhere"}, 2, "switch_off is a SET statement"},
             {{"copy", "false", "COPY orders TO STDOUT"}, 2, "switch_off is a COPY statement"},
             // Not a boolean: no guessing.
             {{"integer", "1", "UPDATE orders SET total = 0 WHERE false"}, 1, "must be type boolean"},
             // Names are printed on lines of their own.
             {{"forged\nsandboxctl: error: FAKE", "false", "UPDATE orders SET total = 0 WHERE false"},
              2,
              "must be words"},
             {{"   ", "false", "UPDATE orders SET total = 0 WHERE false"}, 2, "must be words"},
         }) {
        expect_answer(c, before);
    }
    // A row's value never reaches an error.
    for (const auto& channel :
         {DeclaredChannel{"leaks", "EXISTS (SELECT 1 FROM customer WHERE secret::int > 0)",
                          "UPDATE orders SET total = 0 WHERE false"},
          DeclaredChannel{"leaks too", "false",
                          "UPDATE orders SET total = (SELECT secret::int FROM customer LIMIT 1)"}}) {
        auto file = config({partner_export, channel});
        // app-check runs live_when only.
        std::vector<std::vector<std::string>> runs = {{"-c", file, "refresh", "--source", model_->source()}};
        if (channel.live_when != "false") runs.push_back({"-c", file, "app-check"});
        for (const auto& args : runs) {
            auto result = run(args);
            EXPECT_EQ(result.exit_code, 1) << channel.name << "\n" << result.all();
            EXPECT_NE(result.err.find("(SQLSTATE 22P02)"), std::string::npos) << result.err;
            EXPECT_EQ(result.all().find("PRODROWSECRET"), std::string::npos) << result.all();
        }
    }
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

// app-check reads in one read-only transaction under the configured lock
// timeout: a session holding a lock on a channel's table (a migration, say)
// makes it fail with the reason, not wait as long as the lock is held.
TEST_F(DeclaredChannels, AppCheckWaitsForALockNoLongerThanTheLockTimeout) {
    auto both = config({partner_export, outbound_hooks}, "[refresh]\nlock_timeout = \"1s\"\n");
    ASSERT_EQ(run({"-c", both, "refresh", "--source", model_->source()}).exit_code, 0);
    PsqlSession blocker(cluster().bin_dir() / "psql",
                        cluster().admin_conninfo(model_->sandbox()) + " application_name=channel_blocker",
                        "BEGIN; LOCK TABLE hook_queue IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60);");
    ASSERT_TRUE(wait_until([&] { return session_sleeps(cluster(), "channel_blocker"); }, 30));
    auto check = run({"-c", both, "app-check"});
    EXPECT_EQ(check.exit_code, 1) << check.all();
    EXPECT_NE(check.err.find("lock timeout"), std::string::npos) << check.err;
}

// A PGPASSWORD the user's shell exported for something else must not win
// over the connection's own password in pg_dump and pg_restore.
TEST_F(DeclaredChannels, AnExportedPgpasswordDoesNotReplaceTheConnectionsOwn) {
    auto refreshed = run({"-c", config({partner_export}), "refresh", "--source", model_->source()}, "not-the-password");
    EXPECT_EQ(refreshed.exit_code, 0) << refreshed.all();
}

}  // namespace
}  // namespace sandboxctl::test
