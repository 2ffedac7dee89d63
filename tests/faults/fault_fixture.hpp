#pragma once
// Shared by the fault-injection tests: a model with a previous sandbox, the
// faults the suite injects, and the checks every faulted run must pass.
#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "harness/failpoint.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {

enum class Fault { sigint, sigterm, sigkill, source_backend_ended, target_backend_ended, server_restarted };

std::string fault_name(Fault fault);
// The fault's name as a test-name suffix ("source_backend_terminated").
std::string fault_test_name(const ::testing::TestParamInfo<Fault>& info);

// Long variants (every table of every run) when SANDBOXCTL_LONG_TESTS=1.
bool long_tests();

// Keeps the first and last "table ..." points unless long_tests().
std::vector<std::string> points_to_break(const std::vector<std::string>& all);

using Env = std::vector<std::pair<std::string, std::string>>;

// state_env() plus the model's connections, kept off the command line.
Env connection_env(const Model& model);

class FaultTest : public PgTest {
protected:
    // Starts `args` and waits until it stops at failpoint `point`; null (and
    // a test failure) if it never gets there.
    std::unique_ptr<BackgroundTool> start_held(const std::vector<std::string>& args, const std::string& point,
                                               Env env = state_env());

    // Breaks `fault` while `tool` (pid) is stopped at a failpoint.
    void inject(Fault fault, BackgroundTool& tool, const Model& model);

    // What a faulted run must leave: the sandbox as before or as new (never
    // a mix), an exit code that says which, the connection limit restored
    // (by `unlock` when the run says so), and no temporary directory.
    void check_outcome(Fault fault, const std::string& point, const ToolRun& run, int pid, const Model& model,
                       const DatabaseState& before, const DatabaseState& after_success);

    TempDir work_;
    FailpointDriver failpoint_{work_ / "failpoint"};
};

// A fault test whose sandbox was refreshed with snapshot "golden" taken into
// a private store; `golden_` is the sandbox's state at that snapshot.
class GoldenFaultTest : public FaultTest, public ::testing::WithParamInterface<Fault> {
protected:
    void SetUp() override;
    std::string store() const { return (work_ / "snapshots").string(); }

    std::unique_ptr<Model> model_;
    DatabaseState golden_;
};

}  // namespace sandboxctl::test
