// Faults at every phase of `snapshot create --replace golden` (issue 9, item
// 10): whatever happens, the store holds one complete "golden", the sandbox
// keeps a baseline, nothing is left behind, and `reset` (no name) brings the
// sandbox to what the store's "golden" holds: the old one if the create did
// not complete, the new one if it did.
#include <nlohmann/json.hpp>

#include "faults/fault_fixture.hpp"
#include "snapshot/manifest.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::test {
namespace {

class SnapshotFaults : public GoldenFaultTest {
protected:
    std::vector<std::string> with_store(std::vector<std::string> args, bool target = true) const {
        if (target) args.insert(args.end(), {"--target", model_->target()});
        args.insert(args.end(), {"--snapshot-dir", store()});
        return args;
    }

    void dirty(int round) {
        model_->sandbox_sql("SET ROLE sbx_sandbox_login; INSERT INTO \"MixedCase\" VALUES (" +
                            std::to_string(2000 + round) +
                            ", 'snapshot round'); UPDATE kitchen_sink SET label = "
                            "'round " +
                            std::to_string(round) + "' WHERE id = 1");
    }

    // The store's "golden" is complete and intact, and the sandbox equals it.
    void expect_sandbox_equals_store_golden() {
        auto manifest = snapshot::load_manifest(std::filesystem::path(store()) / "golden");
        auto conn =
            pg::Connection::open(pg::ConnInfo::parse(cluster().admin_conninfo(model_->sandbox()), "target"), "test");
        for (const auto& t : manifest.tables) {
            EXPECT_EQ(verify::hash_table(conn, t.qualified()).digest, t.content_hash) << t.display();
        }
    }
};

TEST_P(SnapshotFaults, ReplaceGolden) {
    Fault fault = GetParam();
    auto create = with_store({"snapshot", "create", "golden", "--replace"});
    int exit_code = -1;
    dirty(0);
    auto points = points_to_break(failpoint_.discover(create, state_env(), exit_code));
    ASSERT_EQ(exit_code, 0);
    for (const char* expected : {"tracking", "schema dump", "cache", "publish", "commit", "committed"}) {
        ASSERT_NE(std::find(points.begin(), points.end(), expected), points.end()) << expected;
    }
    int round = 0;
    for (const auto& point : points) {
        SCOPED_TRACE(fault_name(fault) + " at \"" + point + "\"");
        // Rows only, no DDL, since golden: its schema (the reset's result is captured whole).
        auto old_golden = capture_rows(cluster(), model_->sandbox(), sandbox_role, golden_.schema);  // at golden
        dirty(++round);
        auto new_golden = capture_rows(cluster(), model_->sandbox(), sandbox_role, golden_.schema);
        auto tool = start_held(create, point);
        ASSERT_TRUE(tool);
        inject(fault, *tool, *model_);
        failpoint_.release();
        int pid = tool->pid();
        auto run = tool->finish();
        if (fault != Fault::sigkill && point != "committed") {
            EXPECT_EQ(run.exit_code, 1) << run.all();
        }
        if (fault == Fault::sigkill) {
            EXPECT_TRUE(wait_until(
                [&] {
                    return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                                          model_->sandbox() + "' AND usename = 'sbx_sandbox_login'") ==
                           "0\n";
                },
                30));
        }
        auto list = run_tool(with_store({"snapshot", "list"}, false), state_env());
        EXPECT_EQ(list.exit_code, 0) << list.all();
        std::vector<std::string> entries;
        for (const auto& entry : std::filesystem::directory_iterator(store()))
            entries.push_back(entry.path().filename());
        EXPECT_EQ(entries, std::vector<std::string>{"golden"}) << "left in the store";
        EXPECT_TRUE(temp_dirs_of(pid).empty()) << "left in /tmp: " << temp_dirs_of(pid).front();
        auto verify = run_tool(with_store({"snapshot", "verify", "golden"}, false), state_env());
        EXPECT_EQ(verify.exit_code, 0) << verify.all();
        auto status = run_tool(with_store({"status"}), state_env());
        EXPECT_NE(status.out.find("baseline: snapshot \"golden\""), std::string::npos) << status.all();

        auto reset = run_tool(with_store({"reset"}), state_env());
        ASSERT_EQ(reset.exit_code, 0) << reset.all();
        auto now = capture_state(cluster(), model_->sandbox(), sandbox_role);
        EXPECT_TRUE(now == old_golden || now == new_golden) << describe_differences(old_golden, now);
        if (run.exit_code == 0) {
            EXPECT_TRUE(now == new_golden) << "the create succeeded, the reset went elsewhere";
        }
        // Killed between putting the new snapshot in place and committing the
        // sandbox's side, the store has the new one: reset goes there (full).
        bool may_be_new = point == "committed" || (point == "commit" && fault == Fault::sigkill);
        if (!may_be_new) {
            EXPECT_TRUE(now == old_golden) << "an interrupted create replaced golden";
        }
        expect_sandbox_equals_store_golden();
        if (HasFailure()) return;
    }
}

INSTANTIATE_TEST_SUITE_P(Faults, SnapshotFaults, ::testing::Values(Fault::sigint, Fault::sigkill), fault_test_name);

}  // namespace
}  // namespace sandboxctl::test
