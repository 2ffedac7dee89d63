#pragma once
// The fixture of the reset and snapshot-store tests: the adversarial model refreshed into its
// sandbox with snapshot "golden" in a private store, and the state to come
// back to.
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"
#include "snapshot/manifest.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::test {

class ResetFixture : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        store_ = (work_ / "snapshots").string();
        auto extra = golden_extra_sql();
        if (extra.empty()) {
            auto run = tool({"refresh", "--source", model_->source(), "--snapshot", "golden"});
            ASSERT_EQ(run.exit_code, 0) << run.all();
        } else {
            auto run = tool({"refresh", "--source", model_->source()});
            ASSERT_EQ(run.exit_code, 0) << run.all();
            model_->sandbox_sql(extra);
            auto snapshot = tool({"snapshot", "create", "golden"});
            ASSERT_EQ(snapshot.exit_code, 0) << snapshot.all();
        }
        golden_ = capture_state(cluster(), model_->sandbox(), sandbox_role);
    }

    // SQL run in the refreshed sandbox before the golden snapshot is taken.
    virtual std::string golden_extra_sql() const { return ""; }

    ToolRun tool(std::vector<std::string> args) {
        bool store_only = args[0] == "snapshot" && args[1] != "create";
        if (!store_only) args.insert(args.end(), {"--target", model_->target()});
        if (args[0] != "unlock") args.insert(args.end(), {"--snapshot-dir", store_});
        return run_tool(args, {{"XDG_STATE_HOME", (work_ / "state").string()}});
    }

    // `reset` with a JSON report; the report, after asserting exit 0.
    nlohmann::json reset(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"reset", "--json", "-"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto run = tool(args);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        if (run.exit_code != 0) return {};
        last_reset_ = run;
        return nlohmann::json::parse(run.out);
    }

    void expect_golden() {
        auto now = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(golden_ == now) << describe_differences(golden_, now);
        expect_manifest_matches();
    }

    DatabaseState state() { return capture_state(cluster(), model_->sandbox(), sandbox_role); }

    pg::Connection admin_connection() {
        return pg::Connection::open(pg::ConnInfo::parse(cluster().admin_conninfo(model_->sandbox()), "target"), "test");
    }

    // Every table's content hash and every sequence state equal the manifest's.
    void expect_manifest_matches(const std::string& snapshot = "golden") {
        auto manifest = snapshot::load_manifest(std::filesystem::path(store_) / snapshot);
        auto conn = admin_connection();
        for (const auto& t : manifest.tables) {
            auto hash = verify::hash_table(conn, t.qualified());
            EXPECT_EQ(hash.digest, t.content_hash) << t.display();
            EXPECT_EQ(hash.rows, t.rows) << t.display();
        }
        for (const auto& s : manifest.sequences) {
            auto r = conn.exec("SELECT last_value::text, is_called FROM " + s.qualified());
            EXPECT_EQ(r.get(0, 0), s.last_value) << s.qualified();
            EXPECT_EQ(r.get_bool(0, 1), s.is_called) << s.qualified();
        }
    }

    // Writes a scenario would do, as the application (the sandbox login).
    void scenario_dml() {
        model_->sandbox_sql(R"(
SET ROLE sbx_sandbox_login;
INSERT INTO customer (nom) VALUES ('new customer'), ('another');          -- consumes the sequence
UPDATE customer SET nom = 'renamed' WHERE rowid = 1;                     -- fires the tms trigger (audit row)
INSERT INTO employee VALUES (4, 1, 'new hire');
UPDATE employee SET manager_id = 4 WHERE id = 3;                          -- child moved to a new parent
DELETE FROM employee WHERE id = 2 AND false;
BEGIN; UPDATE chicken SET egg_id = NULL WHERE id = 2; DELETE FROM egg WHERE id = 2; COMMIT;
TRUNCATE scratch;
DELETE FROM vehicle WHERE id = 2;
INSERT INTO truck VALUES (9, 6, 1000);
UPDATE kitchen_sink SET label = 'changed', qty = 99 WHERE id = 1;
DELETE FROM kitchen_sink WHERE id = 2;
INSERT INTO measurements VALUES (99999, '2024-03-03', 1.5);
DELETE FROM measurements WHERE id BETWEEN 10 AND 20;
DELETE FROM no_columns WHERE ctid = (SELECT min(ctid) FROM no_columns);
INSERT INTO "Accounting Dept"."Ledger ""Main""" VALUES (1, 'x', 1, 1);
SELECT nextval('billing.invoice_number');
UPDATE mood_notes SET note = 'storm' WHERE feeling = 'sad';
DELETE FROM mood_notes WHERE feeling = 'happy';
INSERT INTO mood_notes VALUES ('ok', 'meh');
)");
    }

    TempDir work_{"sandboxctl-reset-test"};
    std::unique_ptr<Model> model_;
    std::string store_;
    DatabaseState golden_;
    ToolRun last_reset_;
};

}  // namespace sandboxctl::test
