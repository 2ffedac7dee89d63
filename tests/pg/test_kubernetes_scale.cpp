// Issue 12, part 4: with [kubernetes], refresh and reset stop the sandbox
// application themselves — replicas recorded in the state directory, the
// Deployment scaled to 0 and its pods waited for, before exclusive access —
// and put the recorded count back on every exit path; after a SIGKILL,
// `unlock` or the next refresh does, first. The real kubectl talks to a
// stand-in API server on loopback (harness/kube_api.hpp).
#include <signal.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/temp_dir.hpp"
#include "harness/kube_api.hpp"
#include "harness/pg_test.hpp"
#include "harness/prerequisite.hpp"

namespace sandboxctl::test {
namespace {

using namespace std::chrono_literals;

// The replicas the app runs with: what every path must put back (not 1, the
// count a careless restore would pick).
constexpr int app_replicas = 3;

class KubernetesScale : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        if (auto why = kubectl_unavailable(); !why.empty()) {
            MISSING_PREREQUISITE() << "no usable kubectl: " << why;
        }
        model_ = std::make_unique<Model>(cluster(), test_name());
        model_->prod_sql("SET ROLE sbx_app; CREATE TABLE orders (id int PRIMARY KEY, item text); "
                         "INSERT INTO orders VALUES (1, 'first');");
        auto first = refresh(*model_);
        ASSERT_EQ(first.exit_code, 0) << first.all();
        // The next refresh brings this row; a run that fails must not.
        model_->prod_sql("SET ROLE sbx_app; INSERT INTO orders VALUES (2, 'second');");
        api_.add_deployment("erp-sandbox", app_replicas);
        api_.set_pod_delay(1500ms);
        // At each scale: the sandbox's connection limit (0 inside exclusive access).
        api_.on_scale([this](const std::string&, int replicas) {
            int limit = connection_limit(cluster(), model_->sandbox());
            std::lock_guard lock(mutex_);
            limits_at_scale_.emplace_back(replicas, limit);
        });
        kubeconfig_ = api_.write_kubeconfig(work_.path()).string();
        write_config("30s");
    }

    void write_config(const std::string& wait) {
        std::ofstream(config_) << "[kubernetes]\nnamespace = \"erp\"\nscale = [\"deployment/erp-sandbox\"]\n"
                               << "kubeconfig = \"" << kubeconfig_ << "\"\nwait = \"" << wait << "\"\n";
    }

    std::vector<std::pair<std::string, std::string>> env() const {
        auto e = state_env();
        e.emplace_back("KUBECACHEDIR", (work_ / "kube-cache").string());
        return e;
    }

    std::vector<std::string> args(const std::string& command, std::vector<std::string> extra = {}) const {
        std::vector<std::string> a = {"-c", config_.string(), command, "--target", model_->target()};
        if (command == "refresh") a.insert(a.end(), {"--source", model_->source()});
        if (command == "refresh" || command == "reset") {
            a.insert(a.end(), {"--snapshot-dir", (work_ / "snapshots").string()});
        }
        a.insert(a.end(), extra.begin(), extra.end());
        return a;
    }

    ToolRun tool(const std::string& command, std::vector<std::string> extra = {}) {
        return run_tool(args(command, std::move(extra)), env());
    }

    // state_dir/workloads/<system identifier>-<database oid>.json
    std::filesystem::path record() {
        auto id = cluster().psql("postgres", "SELECT system_identifier || '-' || (SELECT oid FROM pg_database WHERE "
                                             "datname = '" +
                                                 model_->sandbox() + "') FROM pg_control_system()");
        id.erase(id.find_last_not_of('\n') + 1);
        return run_dir() / "state" / "sandboxctl" / "workloads" / (id + ".json");
    }

    int orders() { return std::stoi(model_->sandbox_sql("SELECT count(*) FROM orders")); }

    std::vector<std::pair<int, int>> limits_at_scale() {
        std::lock_guard lock(mutex_);
        return limits_at_scale_;
    }

    std::size_t pod_lists() const {
        std::size_t count = 0;
        for (const auto& r : api_.requests()) count += r.starts_with("GET /api/v1/namespaces/erp/pods?") ? 1 : 0;
        return count;
    }

    // The sessions on the sandbox database (as psql prints the count), those
    // matching `condition` if given.
    std::string sandbox_sessions(const std::string& condition = "") {
        return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                              model_->sandbox() + "'" + condition);
    }

    // A refresh held inside its transaction (a post-refresh SQL that
    // sleeps), with the app stopped and the sandbox blocked: then SIGKILL.
    void kill_a_refresh_mid_run() {
        auto sleep = work_ / "sleep.sql";
        std::ofstream(sleep) << "SELECT pg_sleep(60);\n";
        BackgroundTool run(args("refresh", {"--post-sql", sleep.string()}), env());
        ASSERT_TRUE(wait_until([&] { return sandbox_sessions(" AND query LIKE '%pg_sleep%'") == "1\n"; }, 60));
        EXPECT_EQ(api_.replicas("erp-sandbox"), 0);
        EXPECT_TRUE(std::filesystem::exists(record()));
        run.send(SIGKILL);
        EXPECT_EQ(run.finish().exit_code, 128 + SIGKILL);
        ASSERT_TRUE(wait_until([&] { return sandbox_sessions() == "0\n"; }, 30));
        // What the crash left: the app stopped, the sandbox blocked, the records.
        EXPECT_EQ(api_.replicas("erp-sandbox"), 0);
        EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 0);
        EXPECT_TRUE(std::filesystem::exists(record()));
    }

    TempDir work_;
    std::filesystem::path config_ = work_ / "sandboxctl.toml";
    std::string kubeconfig_;
    std::unique_ptr<Model> model_;
    std::mutex mutex_;
    std::vector<std::pair<int, int>> limits_at_scale_;  // (replicas set, connection limit then)
    KubeApi api_{"erp"};                                // last: its thread stops before what the observer uses goes
};

TEST_F(KubernetesScale, NormalRunStopsTheAppBeforeExclusiveAccessAndRestoresIt) {
    auto run = tool("refresh", {"--snapshot", "golden"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(orders(), 2);
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas}));
    // Scaled to 0 while the sandbox still took connections (before exclusive
    // access), and back once its limit was restored.
    EXPECT_EQ(limits_at_scale(), (std::vector<std::pair<int, int>>{{0, -1}, {app_replicas, -1}}));
    // The pods were waited for (they linger 1.5 s): listed more than once.
    EXPECT_GE(pod_lists(), 2u);
    EXPECT_NE(run.err.find("stopping deployment/erp-sandbox in namespace erp (3 replicas)"), std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("restored deployment/erp-sandbox to 3 replicas in namespace erp"), std::string::npos)
        << run.err;
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_FALSE(std::filesystem::exists(record()));

    // A delta reset leaves the app running (it only ends its sessions)...
    model_->sandbox_sql("DELETE FROM orders");
    auto delta = tool("reset");
    ASSERT_EQ(delta.exit_code, 0) << delta.all();
    EXPECT_EQ(orders(), 2);
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas}));
    EXPECT_EQ(delta.err.find("stopping deployment"), std::string::npos) << delta.err;

    // ...a full one stops it the same way as a refresh.
    model_->sandbox_sql("DELETE FROM orders");
    auto reset = tool("reset", {"--full"});
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    EXPECT_EQ(orders(), 2);
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas, 0, app_replicas}));
    EXPECT_EQ(limits_at_scale().at(2), (std::pair<int, int>{0, -1}));
    EXPECT_EQ(limits_at_scale().at(3), (std::pair<int, int>{app_replicas, -1}));
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_FALSE(std::filesystem::exists(record()));
}

TEST_F(KubernetesScale, FailedRunRestoresTheRecordedReplicas) {
    auto broken = work_ / "broken.sql";
    std::ofstream(broken) << "UPDATE no_such_table SET x = 1;\n";
    auto run = tool("refresh", {"--post-sql", broken.string()});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("no_such_table"), std::string::npos) << run.err;
    EXPECT_EQ(orders(), 1);
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas}));
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_NE(run.err.find("restored deployment/erp-sandbox to 3 replicas in namespace erp"), std::string::npos)
        << run.err;
    EXPECT_FALSE(std::filesystem::exists(record()));
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

TEST_F(KubernetesScale, KilledRunIsRepairedByUnlock) {
    cluster().psql("postgres", "ALTER DATABASE \"" + model_->sandbox() + "\" CONNECTION LIMIT 7");
    kill_a_refresh_mid_run();
    auto unlock = tool("unlock");
    EXPECT_EQ(unlock.exit_code, 0) << unlock.all();
    EXPECT_NE(unlock.out.find("connection limit set to 7 (recorded before the crash)"), std::string::npos)
        << unlock.out;
    EXPECT_NE(unlock.out.find("workloads restored: deployment/erp-sandbox to 3 replicas in namespace erp (recorded "
                              "before the crash)"),
              std::string::npos)
        << unlock.out;
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas}));
    EXPECT_FALSE(std::filesystem::exists(record()));
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 7);
    EXPECT_EQ(orders(), 1);
}

TEST_F(KubernetesScale, KilledRunIsRepairedByTheNextRefreshFirst) {
    cluster().psql("postgres", "ALTER DATABASE \"" + model_->sandbox() + "\" CONNECTION LIMIT 7");
    kill_a_refresh_mid_run();
    auto run = tool("refresh");
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto limit_line = run.err.find("a killed run left database \"" + model_->sandbox() +
                                   "\" refusing connections: restored its connection limit 7");
    auto workloads_line = run.err.find(
        "a killed run left workloads stopped: restored deployment/erp-sandbox to 3 replicas in namespace erp");
    auto stopping_line = run.err.find("stopping deployment/erp-sandbox");
    EXPECT_NE(limit_line, std::string::npos) << run.err;
    EXPECT_NE(workloads_line, std::string::npos) << run.err;
    EXPECT_LT(workloads_line, stopping_line) << run.err;
    // Restored first (3), then stopped and restored by the run itself.
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas, 0, app_replicas}));
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_FALSE(std::filesystem::exists(record()));
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), 7);
    EXPECT_EQ(orders(), 2);
}

TEST_F(KubernetesScale, WaitThatRunsOutFailsBeforeTheSandboxIsTouched) {
    api_.set_pod_delay(60s);
    write_config("1s");
    auto start = std::chrono::steady_clock::now();
    auto run = tool("refresh");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 20s);
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("error: timed out after 1s waiting for the pods of deployment/erp-sandbox in namespace "
                           "erp to stop: 3 left (erp-sandbox-"),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("HINT: The sandbox was not changed and the replicas are restored. Raise wait in "
                           "[kubernetes] (now \"1s\")"),
              std::string::npos)
        << run.err;
    EXPECT_EQ(api_.scale_history("erp-sandbox"), (std::vector<int>{0, app_replicas}));
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    // The sandbox was never blocked, and is as it was.
    EXPECT_EQ(limits_at_scale(), (std::vector<std::pair<int, int>>{{0, -1}, {app_replicas, -1}}));
    EXPECT_EQ(orders(), 1);
    EXPECT_FALSE(std::filesystem::exists(record()));
}

TEST_F(KubernetesScale, ForbiddenApiFailsBeforeAnythingChanges) {
    api_.set_forbidden(true);
    auto run = tool("refresh");
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("error: could not read the replicas of deployment/erp-sandbox in namespace erp: Error from "
                           "server (Forbidden): deployments.apps \"erp-sandbox\" is forbidden: User "
                           "\"system:serviceaccount:erp:sandboxctl\" cannot get resource \"deployments/scale\""),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("HINT: The account kubectl uses needs get and patch on deployments/scale (API group apps) "
                           "and list on pods in namespace erp"),
              std::string::npos)
        << run.err;
    EXPECT_TRUE(api_.scale_history("erp-sandbox").empty());
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_FALSE(std::filesystem::exists(record()));
    EXPECT_EQ(orders(), 1);
    EXPECT_EQ(connection_limit(cluster(), model_->sandbox()), -1);
}

// Issue 18, items 11 and 13: a kubectl that hangs while restoring the app
// after the commit held sandboxctl forever, deaf to SIGTERM; and a full
// reset that committed but could not restart the app exited 5 without its
// report or --json. Now the signal stops the hanging kubectl, and the reset
// prints and writes its report, then exits 5 saying how to finish.
TEST_F(KubernetesScale, ASignalStopsAHangingRestoreAfterTheCommitWithExit5AndTheReport) {
    ASSERT_EQ(tool("refresh", {"--snapshot", "golden"}).exit_code, 0);
    std::atomic<bool> hang{true}, hung{false};
    api_.on_scale([&](const std::string&, int replicas) {
        if (replicas == 0) return;
        hung = true;
        for (int i = 0; i < 1200 && hang; ++i) std::this_thread::sleep_for(50ms);
    });
    auto json = work_ / "reset.json";
    model_->sandbox_sql("DELETE FROM orders");
    BackgroundTool run(args("reset", {"--full", "--json", json.string()}), env());
    ASSERT_TRUE(wait_until([&] { return hung.load(); }, 60));
    run.send(SIGTERM);
    EXPECT_TRUE(wait_until([&] { return run.exited(); }, 20)) << "SIGTERM did not stop the hanging restore";
    auto result = run.finish();
    hang = false;
    EXPECT_EQ(result.exit_code, 5) << result.all();
    EXPECT_NE(result.out.find("full reset to \"golden\""), std::string::npos) << result.all();
    EXPECT_NE(result.err.find("the sandbox was reset to \"golden\" (committed), but restarting the stopped workloads "
                              "failed"),
              std::string::npos)
        << result.err;
    EXPECT_NE(result.err.find("sandboxctl unlock"), std::string::npos) << result.err;
    auto doc = nlohmann::json::parse(read_file(json));
    EXPECT_EQ(doc["mode"], "full");
    ASSERT_EQ(doc["incomplete"].size(), 1u) << doc.dump(2);
    EXPECT_EQ(doc["incomplete"][0]["step"], "kubernetes");
    EXPECT_EQ(orders(), 2);
    EXPECT_TRUE(std::filesystem::exists(record()));

    auto unlock = tool("unlock");
    EXPECT_EQ(unlock.exit_code, 0) << unlock.all();
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
    EXPECT_FALSE(std::filesystem::exists(record()));
}

// Issue 18, a smaller point: a replica count someone changed while the app
// was stopped was overwritten with the recorded one without a word.
TEST_F(KubernetesScale, ACountChangedWhileStoppedIsRestoredWithAWarning) {
    auto sleep = work_ / "sleep.sql";
    std::ofstream(sleep) << "SELECT pg_sleep(2);\n";
    BackgroundTool run(args("refresh", {"--post-sql", sleep.string()}), env());
    ASSERT_TRUE(wait_until([&] { return sandbox_sessions(" AND query LIKE '%pg_sleep%'") == "1\n"; }, 60));
    api_.scale("erp-sandbox", 5);
    auto result = run.finish();
    ASSERT_EQ(result.exit_code, 0) << result.all();
    EXPECT_NE(result.err.find("deployment/erp-sandbox in namespace erp was scaled to 5 replicas while sandboxctl had "
                              "it stopped; restoring 3 replicas"),
              std::string::npos)
        << result.err;
    EXPECT_EQ(api_.replicas("erp-sandbox"), app_replicas);
}

// Issue 18, item 6: refresh --snapshot restarted the app before taking the
// snapshot, so what the app writes on start-up became part of the golden
// state every reset returns to.
TEST_F(KubernetesScale, TheSnapshotIsTakenBeforeTheAppComesBack) {
    api_.on_scale([this](const std::string&, int replicas) {
        if (replicas > 0) model_->sandbox_sql("INSERT INTO orders VALUES (99, 'written by the app on start-up')");
    });
    auto run = tool("refresh", {"--snapshot", "golden"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(orders(), 3);
    auto reset = tool("reset");
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    EXPECT_EQ(model_->sandbox_sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM orders"), "1,2\n");
}

}  // namespace
}  // namespace sandboxctl::test
