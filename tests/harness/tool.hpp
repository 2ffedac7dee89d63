#pragma once
// Runs the built sandboxctl binary, as a user would.
#include <filesystem>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sandboxctl::test {

struct ToolRun {
    int exit_code = -1;
    std::string out;
    std::string err;
    std::string all() const { return out + err; }
};

// The whole content of a file, bytes as they are; empty when it cannot be
// read (a /proc entry of a process that just ended, say).
std::string read_file(const std::filesystem::path& path);

// The sandboxctl binary the suites run: the one built with them, or
// $SANDBOXCTL_TEST_BINARY (to show that a new test fails on an older build).
std::string tool_binary();

// A private directory (mkdtemp) for this run of a test binary, removed with
// its content when the process exits: the state, snapshots and output of the
// runs go there, never to fixed paths that other runs (or users) share.
const std::filesystem::path& run_dir();

// XDG_STATE_HOME set to a state directory inside run_dir(), for sandboxctl's
// lock records, refresh history and default snapshot store.
std::vector<std::pair<std::string, std::string>> state_env();

ToolRun run_tool(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {});
// The same under a file-size limit (RLIMIT_FSIZE, via util-linux prlimit):
// a write past `bytes` fails as it does on a full disk.
ToolRun run_tool_with_file_limit(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env,
                                 long long bytes);
// The same with standard output going to `stdout_path` (/dev/full: every
// write to it fails, as on a full disk).
ToolRun run_tool_with_stdout(const std::string& stdout_path, std::vector<std::string> args,
                             std::vector<std::pair<std::string, std::string>> env = {});

}  // namespace sandboxctl::test

namespace sandboxctl::test {

// sandboxctl running in the background, for interrupt and crash tests. Its
// output goes to files read by finish(). The destructor kills it if needed.
class BackgroundTool {
public:
    BackgroundTool(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env = {});
    ~BackgroundTool();
    BackgroundTool(const BackgroundTool&) = delete;
    BackgroundTool& operator=(const BackgroundTool&) = delete;

    int pid() const { return pid_; }
    void send(int signal);
    // True once the process has ended (it is reaped by finish()).
    bool exited() const;
    // Waits for the process and returns what it printed and how it ended.
    ToolRun finish();

private:
    int pid_ = -1;
    std::string out_path_, err_path_;
};

// Polls `condition` every 50 ms for up to `seconds`; true once it holds.
bool wait_until(const std::function<bool()>& condition, double seconds);

}  // namespace sandboxctl::test
