#include "faults/fault_fixture.hpp"

#include <cctype>
#include <cstdlib>

namespace sandboxctl::test {

std::string fault_name(Fault fault) {
    switch (fault) {
        case Fault::sigint: return "SIGINT";
        case Fault::sigterm: return "SIGTERM";
        case Fault::sigkill: return "SIGKILL";
        case Fault::source_backend_ended: return "source backend terminated";
        case Fault::target_backend_ended: return "target backend terminated";
        case Fault::server_restarted: return "server restarted";
    }
    return "?";
}

std::string fault_test_name(const ::testing::TestParamInfo<Fault>& info) {
    std::string out;
    for (char c : fault_name(info.param)) out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    return out;
}

bool long_tests() {
    const char* value = std::getenv("SANDBOXCTL_LONG_TESTS");
    return value && std::string(value) == "1";
}

std::vector<std::string> points_to_break(const std::vector<std::string>& all) {
    if (long_tests()) return all;
    std::vector<std::string> tables, kept;
    for (const auto& p : all) {
        if (p.starts_with("table ")) tables.push_back(p);
    }
    for (const auto& p : all) {
        if (!p.starts_with("table ") || p == tables.front() || p == tables.back()) kept.push_back(p);
    }
    return kept;
}

Env connection_env(const Model& model) {
    Env env = state_env();
    env.emplace_back("SANDBOXCTL_SOURCE", model.source());
    env.emplace_back("SANDBOXCTL_TARGET", model.target());
    return env;
}

std::unique_ptr<BackgroundTool> FaultTest::start_held(const std::vector<std::string>& args, const std::string& point,
                                                      Env env) {
    auto hook = failpoint_.env(point);
    env.insert(env.end(), hook.begin(), hook.end());
    auto tool = std::make_unique<BackgroundTool>(args, env);
    if (failpoint_.wait_reached(60)) return tool;
    ADD_FAILURE() << "the run never reached failpoint \"" << point << "\":\n" << tool->finish().all();
    return nullptr;
}

void FaultTest::inject(Fault fault, BackgroundTool& tool, const Model& model) {
    auto end_backends = [&](const std::string& database, const std::string& user) {
        cluster().psql("postgres", "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                                       database + "' AND usename = '" + user +
                                       "' AND application_name NOT LIKE '%-control'");
    };
    switch (fault) {
        case Fault::sigint: tool.send(SIGINT); break;
        case Fault::sigterm: tool.send(SIGTERM); break;
        case Fault::sigkill: tool.send(SIGKILL); break;
        case Fault::source_backend_ended: end_backends(model.prod(), "sbx_dump"); break;
        case Fault::target_backend_ended: end_backends(model.sandbox(), "sbx_sandbox_login"); break;
        case Fault::server_restarted: cluster().restart(); break;
    }
}

void FaultTest::check_outcome(Fault fault, const std::string& point, const ToolRun& run, int pid, const Model& model,
                              const DatabaseState& before, const DatabaseState& after_success) {
    const std::string& sandbox = model.sandbox();
    if (fault == Fault::sigkill) {
        EXPECT_EQ(run.exit_code, 128 + SIGKILL);
        // The server rolls the open transaction back once it sees the socket close.
        EXPECT_TRUE(wait_until(
            [&] {
                return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" + sandbox +
                                                      "' AND usename = 'sbx_sandbox_login'") == "0\n";
            },
            30));
    } else if (fault == Fault::sigint || fault == Fault::sigterm) {
        if (run.exit_code != 0) {
            EXPECT_NE(run.err.find("interrupted by signal"), std::string::npos) << run.err;
        }
    }
    if (run.exit_code != 0 && fault != Fault::sigkill) {
        // 5: committed, but a step after the commit (restoring the
        // connection limit, say) failed; 1: anything else.
        EXPECT_TRUE(run.exit_code == 1 || (run.exit_code == 5 && point == "committed")) << run.all();
        EXPECT_NE(run.err.find("error:"), std::string::npos) << run.err;
    }
    int limit = connection_limit(cluster(), sandbox);
    if (limit == 0) {
        // Left blocked only when the run could not restore it, and then it says how.
        if (fault != Fault::sigkill) {
            EXPECT_NE(run.err.find("sandboxctl unlock"), std::string::npos) << run.err;
        }
        auto unlock = run_tool({"unlock", "--target", model.target()}, state_env());
        EXPECT_EQ(unlock.exit_code, 0) << unlock.all();
    } else {
        // The next command sweeps what a killed run left; give it the chance.
        run_tool({"snapshot", "list"}, state_env());
    }
    EXPECT_EQ(connection_limit(cluster(), sandbox), -1);
    EXPECT_TRUE(temp_dirs_of(pid).empty()) << "left in /tmp: " << temp_dirs_of(pid).front();

    auto after = capture_state(cluster(), sandbox, sandbox_role);
    bool as_before = after == before;
    bool as_new = after == after_success;
    EXPECT_TRUE(as_before || as_new) << "a mix after " << fault_name(fault) << " at " << point << ":\n"
                                     << describe_differences(before, after);
    if (run.exit_code == 0) {
        EXPECT_TRUE(as_new) << "exit 0 but the sandbox is not the new one";
    }
    // Before the commit, every fault but a lost source session (no longer
    // needed once the data is in) stops the run.
    if (point != "committed" && fault != Fault::source_backend_ended) {
        EXPECT_NE(run.exit_code, 0) << run.all();
        EXPECT_TRUE(as_before);
    }
    if (as_new && run.exit_code != 0) {
        // Only past the commit, and then the message says the work was done.
        EXPECT_EQ(point, "committed") << run.all();
    }
    if (run.exit_code == 5) {
        EXPECT_TRUE(as_new) << "exit 5 says committed, but the sandbox is not the new one";
        EXPECT_NE(run.err.find("(committed), but"), std::string::npos) << run.err;
    }
}

void GoldenFaultTest::SetUp() {
    FaultTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    model_ = adversarial_model();
    auto first = run_tool({"refresh", "--source", model_->source(), "--target", model_->target(), "--snapshot",
                           "golden", "--snapshot-dir", store()},
                          state_env());
    ASSERT_EQ(first.exit_code, 0) << first.all();
    golden_ = capture_state(cluster(), model_->sandbox(), sandbox_role);
}

}  // namespace sandboxctl::test
