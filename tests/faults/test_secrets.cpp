// Secret hygiene: while refreshes and syncs run, no password shows in any
// process's command line; none reaches stdout, stderr or the JSON report at
// any log level or in any error; the passfile pg_dump reads exists only in
// memory, mode 0600, and is gone when the run ends, however it ends.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "faults/fault_fixture.hpp"

namespace sandboxctl::test {
namespace {

// The parent pid of `pid` from /proc/PID/stat, or 0 when it is gone.
int parent_of(int pid) {
    std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = stat.rfind(')');  // the command name may hold spaces and parentheses
    if (close == std::string::npos) return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    int parent = 0;
    fields >> state >> parent;
    return parent;
}

// Whether `pid` was started, directly or not, by this test process: other
// suites running at the same time on the machine put passwords on their own
// command lines, which are not sandboxctl's doing.
bool descends_from_this_test(int pid) {
    const int self = ::getpid();
    for (int depth = 0; pid > 1 && depth < 64; ++depth) {
        pid = parent_of(pid);
        if (pid == self) return true;
    }
    return false;
}

// Watches every process this test starts (and what they start) while it lives.
class ProcessWatch {
public:
    explicit ProcessWatch(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {
        thread_ = std::thread([this] {
            while (!stop_) scan();
        });
    }
    ~ProcessWatch() { stop(); }
    void stop() {
        stop_ = true;
        if (thread_.joinable()) thread_.join();
    }

    std::vector<std::string> leaks;      // command lines holding a secret
    std::set<std::string> programs;      // what ran
    std::vector<std::string> passfiles;  // "mode target" of each PGPASSFILE seen

private:
    void scan() {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
            auto name = entry.path().filename().string();
            if (name.find_first_not_of("0123456789") != std::string::npos) continue;
            if (!descends_from_this_test(std::stoi(name))) continue;
            std::string cmdline = read_file(entry.path() / "cmdline");
            if (cmdline.empty()) continue;
            for (const auto& secret : secrets_) {
                if (cmdline.find(secret) != std::string::npos) leaks.push_back(cmdline);
            }
            std::string program = cmdline.substr(0, cmdline.find('\0'));
            programs.insert(std::filesystem::path(program).filename().string());
            if (program.ends_with("pg_dump")) inspect_passfile(entry.path());
        }
    }

    void inspect_passfile(const std::filesystem::path& proc) {
        std::string environ = read_file(proc / "environ");
        auto at = environ.find("PGPASSFILE=");
        if (at == std::string::npos) return;
        std::string value = environ.substr(at + 11, environ.find('\0', at) - at - 11);
        const std::string prefix = "/proc/self/fd/";
        if (!value.starts_with(prefix)) {
            passfiles.push_back("on disk: " + value);
            return;
        }
        auto fd = proc / "fd" / value.substr(prefix.size());
        struct stat st {};
        std::error_code ec;
        auto target = std::filesystem::read_symlink(fd, ec);
        if (ec || ::stat(fd.c_str(), &st) != 0) return;  // the process just ended
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
        passfiles.push_back(std::string(mode) + " " + target.string());
    }

    std::vector<std::string> secrets_;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

const std::vector<std::string> all_secrets = {dump_password, sandbox_password, superuser_password};

void expect_no_secret(const std::string& text, const std::string& where) {
    for (const auto& secret : all_secrets) {
        EXPECT_EQ(text.find(secret), std::string::npos) << "password in " << where << ":\n" << text;
    }
}

class Secrets : public FaultTest {
protected:
    void SetUp() override {
        FaultTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        std::filesystem::create_directories(work_ / "files-prod" / "mycompany");
        std::ofstream(work_ / "files-prod" / "mycompany" / "logo.png") << "not really a png";
        std::ofstream(work_ / "sandboxctl.toml")
            << "[files]\n[[files.pair]]\nfrom = \"" << (work_ / "files-prod").string() << "\"\nto = \""
            << (work_ / "files-sandbox").string() << "\"\n";
    }

    // Connection strings travel in the environment, as docs/manual.md advises:
    // on the command line they would be in /proc/PID/cmdline before
    // sandboxctl could do anything about it (it warns; see below).
    std::vector<std::string> refresh_args() const {
        return {"refresh", "--config", (work_ / "sandboxctl.toml").string(), "--with-files"};
    }
    Env env() const { return connection_env(*model_); }

    std::unique_ptr<Model> model_;
};

TEST_F(Secrets, NoPasswordInAnyCommandLineAndPassfileOnlyInMemory) {
    ProcessWatch watch(all_secrets);
    auto run = run_tool(refresh_args(), env());
    watch.stop();
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_TRUE(watch.leaks.empty()) << watch.leaks.front();
    // The watch saw the children it had to see, or it proves nothing.
    EXPECT_TRUE(watch.programs.contains("pg_dump"));
    ASSERT_FALSE(watch.passfiles.empty()) << "pg_dump ran without a passfile in its environment";
    for (const auto& passfile : watch.passfiles) {
        EXPECT_TRUE(passfile.starts_with("0600 /memfd:sandboxctl-pgpass")) << passfile;
    }
}

TEST_F(Secrets, NoPasswordInOutputAtAnyLevel) {
    for (const std::vector<std::string>& level :
         {std::vector<std::string>{"--verbose"}, std::vector<std::string>{}, std::vector<std::string>{"--quiet"}}) {
        auto args = refresh_args();
        args.insert(args.begin(), level.begin(), level.end());
        args.insert(args.end(), {"--json", (work_ / "report.json").string()});
        auto run = run_tool(args, env());
        ASSERT_EQ(run.exit_code, 0) << run.all();
        expect_no_secret(run.out + run.err, "refresh output");
        expect_no_secret(read_file(work_ / "report.json"), "the JSON report");
    }
    for (const auto& command : {"plan", "doctor", "verify", "status"}) {
        auto run = run_tool({"--verbose", command}, env());
        EXPECT_EQ(run.exit_code, 0) << command << ": " << run.all();
        expect_no_secret(run.out + run.err, std::string(command) + " output");
    }
}

TEST_F(Secrets, PasswordOnTheCommandLineIsWarnedAbout) {
    auto run = run_tool({"plan", "--source", model_->source()}, state_env());
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.err.find("the --source connection string on the command line holds a password"), std::string::npos)
        << run.err;
    expect_no_secret(run.out + run.err, "plan output");
    auto quiet = run_tool({"plan"}, env());
    EXPECT_EQ(quiet.err.find("holds a password"), std::string::npos) << quiet.err;
}

TEST_F(Secrets, NoPasswordInErrors) {
    auto with = [&](std::string conninfo, const std::string& from, const std::string& to) {
        auto at = conninfo.find(from);
        return conninfo.replace(at, from.size(), to);
    };
    std::string source = model_->source();
    const std::vector<std::pair<std::string, std::string>> broken = {
        {"wrong database", with(source, "dbname='", "dbname='no_such_db_")},
        {"wrong user", with(source, "user='sbx_dump'", "user='sbx_nobody'")},
        {"closed port",
         with(source, "port=" + std::to_string(cluster().port()), "port=" + std::to_string(free_loopback_port()))},
        {"unknown host", with(source, "host=127.0.0.1", "host=no-such-host.invalid")},
        {"syntax error after the password", source + " stray-word"},
        {"unterminated quote", source + " application_name='open"},
        {"unknown option", source + " sslmode=sometimes"},
    };
    for (const auto& [what, conninfo] : broken) {
        SCOPED_TRACE(what);
        auto broken_env = env();
        broken_env[1].second = conninfo;
        auto run = run_tool({"--verbose", "refresh"}, broken_env);
        EXPECT_NE(run.exit_code, 0);
        EXPECT_NE(run.err.find("error:"), std::string::npos) << run.err;
        expect_no_secret(run.out + run.err, what);
    }
    // A wrong password is not echoed either (the libpq message names the user only).
    auto wrong_env = env();
    wrong_env[1].second = with(source, dump_password, "wrong-Secret-0000");
    auto run = run_tool({"--verbose", "refresh"}, wrong_env);
    EXPECT_EQ(run.all().find("wrong-Secret-0000"), std::string::npos) << run.all();
}

// Found by the hostile review of issue 20: with the passwords in the user's
// own passfile (none in the connection strings), sandboxctl never learnt
// them, and a hook that printed the passfile showed them.
TEST_F(Secrets, APassfileLineAHookPrintsIsMasked) {
    auto without_password = [](std::string conninfo, const std::string& password) {
        auto at = conninfo.find(" password='" + password + "'");
        return conninfo.erase(at, password.size() + 12);
    };
    auto passfile = work_ / "pgpass";
    std::ofstream(passfile) << "127.0.0.1:" << cluster().port() << ":*:sbx_dump:" << dump_password
                            << "\n127.0.0.1:" << cluster().port() << ":*:sbx_sandbox_login:" << sandbox_password
                            << "\n";
    std::filesystem::permissions(passfile, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    std::ofstream(work_ / "hooks.toml") << "[hooks]\nbefore = \"cat '" << passfile.string() << "'\"\n";
    Env passfile_env = state_env();
    passfile_env.emplace_back("SANDBOXCTL_SOURCE", without_password(model_->source(), dump_password));
    passfile_env.emplace_back("SANDBOXCTL_TARGET", without_password(model_->target(), sandbox_password));
    passfile_env.emplace_back("PGPASSFILE", passfile.string());
    auto run = run_tool({"refresh", "--config", (work_ / "hooks.toml").string()}, passfile_env);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.err.find(":sbx_dump:"), std::string::npos) << "the hook's output was not shown: " << run.err;
    expect_no_secret(run.out + run.err, "a hook's output");
}

TEST_F(Secrets, NoCredentialFileSurvivesAnyExit) {
    // Interrupted, killed and successful runs: nothing of theirs remains in /tmp.
    for (int signal : {SIGINT, SIGKILL, 0}) {
        auto tool = start_held(refresh_args(), "clean", env());
        ASSERT_TRUE(tool);
        if (signal) tool->send(signal);
        failpoint_.release();
        int pid = tool->pid();
        tool->finish();
        if (signal == SIGKILL) {
            ASSERT_TRUE(wait_until([&] { return connection_limit(cluster(), model_->sandbox()) == 0; }, 30));
            run_tool({"unlock", "--target", model_->target()}, state_env());
        }
        EXPECT_TRUE(temp_dirs_of(pid).empty()) << signal;
        // Older versions kept child stderr in /tmp/sandboxctl-stderr.*; now it is in memory too.
        for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
            EXPECT_FALSE(entry.path().filename().string().starts_with("sandboxctl-stderr")) << entry.path();
        }
    }
}

}  // namespace
}  // namespace sandboxctl::test
