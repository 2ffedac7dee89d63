#include "harness/tool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "harness/cluster.hpp"

namespace sandboxctl::test {

namespace {

// Exit code as a shell reports it: 128 + N when killed by signal N.
ToolRun as_tool_run(const ProcessResult& result) {
    return {result.signal ? 128 + result.signal : result.exit_status, result.out, result.err};
}

}  // namespace

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

std::string tool_binary() {
    const char* other = std::getenv("SANDBOXCTL_TEST_BINARY");
    return other && *other ? other : SANDBOXCTL_BINARY;
}

const std::filesystem::path& run_dir() {
    static const TempDir dir("sandboxctl-test");
    return dir.path();
}

std::vector<std::pair<std::string, std::string>> state_env() {
    return {{"XDG_STATE_HOME", (run_dir() / "state").string()}};
}

namespace {

// A run given no state directory of its own uses this test run's, not the
// user's ~/.local/state (later entries win). pg_dump and pg_restore are
// found in the clusters' own directory first: on Debian, the ones on PATH
// are a Perl wrapper that costs more than a short pg_dump itself.
std::vector<std::pair<std::string, std::string>> with_private_state(
    std::vector<std::pair<std::string, std::string>> env) {
    auto out = state_env();
    static const std::string path = [] {
        const char* inherited = std::getenv("PATH");
        std::string bin = postgresql_bin_dir().string();
        std::string rest = inherited ? inherited : "/usr/bin:/bin";
        return bin.empty() ? rest : bin + ":" + rest;
    }();
    out.emplace_back("PATH", path);
    out.insert(out.end(), env.begin(), env.end());
    return out;
}

}  // namespace

ToolRun run_tool(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env) {
    args.insert(args.begin(), tool_binary());
    return as_tool_run(run_process({args, with_private_state(std::move(env))}));
}

ToolRun run_tool_with_file_limit(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env,
                                 long long bytes) {
    args.insert(args.begin(), {"prlimit", "--fsize=" + std::to_string(bytes), "--", tool_binary()});
    return as_tool_run(run_process({args, with_private_state(std::move(env))}));
}

ToolRun run_tool_with_stdout(const std::string& stdout_path, std::vector<std::string> args,
                             std::vector<std::pair<std::string, std::string>> env) {
    args.insert(args.begin(), {"/bin/sh", "-c", "exec \"$0\" \"$@\" >\"$SANDBOXCTL_TEST_STDOUT\"", tool_binary()});
    env.emplace_back("SANDBOXCTL_TEST_STDOUT", stdout_path);
    return as_tool_run(run_process({args, with_private_state(std::move(env))}));
}

BackgroundTool::BackgroundTool(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env) {
    static int counter = 0;
    std::string base = (run_dir() / ("background-" + std::to_string(++counter))).string();
    out_path_ = base + ".out";
    err_path_ = base + ".err";
    args.insert(args.begin(), tool_binary());
    env = with_private_state(std::move(env));
    pid_ = ::fork();
    if (pid_ == 0) {
        int out = ::open(out_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int err = ::open(err_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ::dup2(out, 1);
        ::dup2(err, 2);
        for (const auto& [key, value] : env) ::setenv(key.c_str(), value.c_str(), 1);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
}

BackgroundTool::~BackgroundTool() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
    }
    ::unlink(out_path_.c_str());
    ::unlink(err_path_.c_str());
}

void BackgroundTool::send(int signal) { ::kill(pid_, signal); }

bool BackgroundTool::exited() const {
    siginfo_t info{};
    info.si_pid = 0;
    // WNOWAIT: look without reaping, so finish() still gets the status.
    return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid != 0;
}

ToolRun BackgroundTool::finish() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    auto slurp = [](const std::string& path) {
        std::ifstream in(path);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    };
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return {code, slurp(out_path_), slurp(err_path_)};
}

bool wait_until(const std::function<bool()>& condition, double seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

}  // namespace sandboxctl::test
