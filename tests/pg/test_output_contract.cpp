// Issue 10: one output contract for every command with --json. With
// "--json -", stdout carries exactly one JSON document (nothing before or
// after it) and the text report goes to stderr; with "--json FILE", FILE holds
// the same document and the text report stays on stdout.
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <set>

#include "core/temp_dir.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

std::set<std::string> keys_of(const nlohmann::json& doc) {
    std::set<std::string> keys;
    for (const auto& [key, value] : doc.items()) keys.insert(key);
    return keys;
}

class OutputContract : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
    }

    // The connections come from the environment, so every command line
    // below is the command and its own options only.
    ToolRun tool(const std::vector<std::string>& args) {
        return run_tool(args, {{"SANDBOXCTL_SOURCE", model_->source()},
                               {"SANDBOXCTL_TARGET", model_->target()},
                               {"SANDBOXCTL_SNAPSHOT_DIR", (work_ / "snapshots").string()},
                               {"XDG_STATE_HOME", (work_ / "state").string()}});
    }

    void refresh_with_snapshot() {
        auto run = tool({"refresh", "--snapshot", "golden"});
        ASSERT_EQ(run.exit_code, 0) << run.all();
    }

    // Runs `args` with "--json -" and with "--json FILE" and checks the
    // contract; `text` is part of the command's text report. Returns the
    // document from stdout.
    nlohmann::json expect_contract(const std::vector<std::string>& args, const std::string& text) {
        auto piped = args;
        piped.insert(piped.end(), {"--json", "-"});
        auto run = tool(piped);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        nlohmann::json doc;
        try {
            doc = nlohmann::json::parse(run.out);  // strict: trailing text is an error
        } catch (const nlohmann::json::exception& e) {
            ADD_FAILURE() << "stdout of --json - is not one JSON document (" << e.what() << "):\n" << run.out;
        }
        EXPECT_TRUE(doc.is_object()) << run.out;
        EXPECT_NE(run.err.find(text), std::string::npos) << "the text report is not on stderr:\n" << run.err;

        auto file = work_ / "report.json";
        std::filesystem::remove(file);
        auto filed = args;
        filed.insert(filed.end(), {"--json", file.string()});
        run = tool(filed);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        EXPECT_NE(run.out.find(text), std::string::npos) << "the text report is not on stdout:\n" << run.all();
        try {
            auto written = nlohmann::json::parse(read_file(file));
            EXPECT_EQ(keys_of(written), keys_of(doc)) << written.dump(2);
        } catch (const nlohmann::json::exception& e) {
            ADD_FAILURE() << file << " does not hold one JSON document (" << e.what() << "):\n" << read_file(file);
        }
        return doc;
    }

    std::unique_ptr<Model> model_;
    TempDir work_;
};

TEST_F(OutputContract, Refresh) {
    auto doc = expect_contract({"refresh"}, "refresh committed: ");
    EXPECT_TRUE(doc.contains("tables")) << doc.dump(2);
}

TEST_F(OutputContract, Plan) {
    auto doc = expect_contract({"plan"}, "source role: sbx_app");
    EXPECT_EQ(doc.value("source_role", ""), "sbx_app") << doc.dump(2);
}

TEST_F(OutputContract, Verify) {
    refresh_with_snapshot();
    auto doc = expect_contract({"verify"}, "no differences");
    EXPECT_FALSE(doc["tables"].empty()) << doc.dump(2);
}

TEST_F(OutputContract, Reset) {
    refresh_with_snapshot();
    auto doc = expect_contract({"reset"}, "reset to \"golden\"");
    EXPECT_EQ(doc.value("snapshot", ""), "golden") << doc.dump(2);
}

TEST_F(OutputContract, Status) {
    refresh_with_snapshot();
    auto doc = expect_contract({"status"}, "baseline: snapshot \"golden\"");
    EXPECT_EQ(doc["snapshots"], nlohmann::json::array({"golden"})) << doc.dump(2);
}

TEST_F(OutputContract, SyncFilesBetweenTwoTrees) {
    std::filesystem::create_directories(work_ / "from/sub");
    std::ofstream(work_ / "from/sub/a.txt") << "a";
    auto doc = expect_contract({"sync-files", "--from", (work_ / "from").string(), "--to", (work_ / "to").string()},
                               "symlinks transferred");
    EXPECT_EQ(doc.value("files_transferred", -1), 1) << doc.dump(2);
}

// sync-files over the configured pairs ignored --json: one document covers
// every pair, in the config's order.
TEST_F(OutputContract, SyncFilesOverTheConfiguredPairs) {
    for (const char* tree : {"docs", "media"}) {
        std::filesystem::create_directories(work_ / "prod" / tree);
        std::ofstream(work_ / "prod" / tree / "file.txt") << tree;
    }
    auto config = work_ / "sandboxctl.toml";
    std::ofstream(config) << "[[files.pair]]\nfrom = \"prod/docs\"\nto = \"sandbox/docs\"\n"
                             "[[files.pair]]\nfrom = \"prod/media\"\nto = \"sandbox/media\"\n";
    auto doc = expect_contract({"-c", config.string(), "sync-files"}, "symlinks transferred");
    ASSERT_EQ(doc["pairs"].size(), 2u) << doc.dump(2);
    EXPECT_EQ(doc["pairs"][0].value("from", ""), "prod/docs");
    EXPECT_EQ(doc["pairs"][1].value("to", ""), "sandbox/media");
    EXPECT_EQ(doc["pairs"][0].value("files_transferred", -1), 1) << doc.dump(2);
    // Relative trees are relative to the config file, not to the working directory.
    EXPECT_EQ(read_file(work_ / "sandbox/media/file.txt"), "media");
}

}  // namespace
}  // namespace sandboxctl::test
