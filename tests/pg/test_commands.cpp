// plan, doctor, the config file, the help text, exclusive access, and what
// the tool must never print.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/temp_dir.hpp"
#include "harness/pg_test.hpp"

namespace sandboxctl::test {
namespace {

class Commands : public PgTest {};

TEST_F(Commands, PlanListsWhatWouldBeCopiedAndLeftOut) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    auto run = run_tool({"plan", "--source", model.source(), "--exclude-data", "toasted"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.out.find("source role: sbx_app"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("public.kitchen_sink"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("public.provisioner_secrets"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("public.user_lookup(text)"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("matched --exclude-data toasted"), std::string::npos) << run.out;
    EXPECT_EQ(model.sandbox_sql("SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"), "0\n");
}

TEST_F(Commands, DoctorPassesOnTheReferenceModel) {
    Model model(cluster(), test_name());
    auto run = run_tool({"doctor", "--source", model.source(), "--target", model.target()});
    EXPECT_EQ(run.exit_code, 0) << run.all();
    for (const char* check :
         {"PASS source session is read-only", "PASS source and target are different databases",
          "PASS target role is safe and owns the sandbox", "PASS target credentials cannot write the source",
          "PASS pg_dump is new enough for the source", "PASS PostgreSQL versions are supported",
          "PASS lock budget suffices for an atomic refresh", "PASS row-level security hides no rows"}) {
        EXPECT_NE(run.out.find(check), std::string::npos) << check << "\n" << run.out;
    }
}

// The Kubernetes setup: both sides named by libpq services, their
// credentials in a service file only. The write probe must take the source's
// server and database, not its service (and with it the source's user).
TEST_F(Commands, ServicesDoctorProbesWithTheTargetsCredentials) {
    Model model(cluster(), test_name());
    TempDir dir;
    auto service = [&](const std::string& name, const std::string& user, const std::string& password,
                       const std::string& database) {
        return "[" + name + "]\nhost=127.0.0.1\nport=" + std::to_string(cluster().port()) + "\ndbname=" + database +
               "\nuser=" + user + "\npassword=" + password + "\n";
    };
    std::ofstream(dir / "pg_service.conf") << service("prod", "sbx_dump", dump_password, model.prod())
                                           << service("sandbox", "sbx_sandbox_login", sandbox_password, model.sandbox())
                                           << service("dump_as_target", "sbx_dump", dump_password, model.sandbox());
    std::vector<std::pair<std::string, std::string>> env = {{"PGSERVICEFILE", (dir / "pg_service.conf").string()},
                                                            state_env().front()};
    auto doctor = run_tool({"doctor", "--source", "service=prod", "--target", "service=sandbox"}, env);
    EXPECT_EQ(doctor.exit_code, 0) << doctor.all();
    EXPECT_NE(doctor.out.find("PASS target credentials cannot write the source: they can connect but hold no write"),
              std::string::npos)
        << doctor.out;
    // Credentials that can write prod (the dump login is a member of its owner) still fail.
    auto writer = run_tool({"doctor", "--source", "service=prod", "--target", "service=dump_as_target"}, env);
    EXPECT_EQ(writer.exit_code, 3) << writer.all();
    EXPECT_NE(writer.out.find("FAIL target credentials cannot write the source: they can connect to the source "
                              "database and could write it: it may CREATE in the database"),
              std::string::npos)
        << writer.out;
    model.load_prod("adversarial.sql");
    auto refresh = run_tool({"refresh", "--source", "service=prod", "--target", "service=sandbox"}, env);
    EXPECT_EQ(refresh.exit_code, 0) << refresh.all();
}

TEST_F(Commands, ConfigFileAndEnvironmentSupplySettings) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    TempDir dir;
    std::ofstream(dir / "regen.sql") << "UPDATE \"MixedCase\" SET \"Name\" = 'regenerated' WHERE \"Id\" = 1;\n";
    std::ofstream(dir / "sandboxctl.toml") << "[target]\nrole = \"sbx_sandbox_owner\"\n[refresh]\n"
                                              "post_sql = [\"regen.sql\"]\nexclude = [\"toasted\"]\n";
    auto run =
        run_tool({"-c", (dir / "sandboxctl.toml").string(), "refresh"},
                 {{"SANDBOXCTL_SOURCE", model.source()}, {"SANDBOXCTL_TARGET", model.target()}, state_env().front()});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(model.sandbox_sql("SELECT \"Name\" FROM \"MixedCase\" WHERE \"Id\" = 1"), "regenerated\n");
    EXPECT_EQ(model.sandbox_sql("SELECT to_regclass('public.toasted') IS NULL"), "t\n");
}

TEST_F(Commands, RefreshWithFilesSyncsTheConfiguredTrees) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    TempDir dir;
    std::filesystem::create_directories(dir / "prod-documents/mycompany/logos");
    std::ofstream(dir / "prod-documents/mycompany/logos/logo.png") << "logo";
    std::ofstream(dir / "sandboxctl.toml")
        << "[files]\ndelete = true\n[[files.pair]]\nfrom = \"" << (dir / "prod-documents").string() << "\"\nto = \""
        << (dir / "sandbox-documents").string() << "\"\n";
    auto run = refresh(model, {"-c", (dir / "sandboxctl.toml").string(), "--with-files", "--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_TRUE(std::filesystem::exists(dir / "sandbox-documents/mycompany/logos/logo.png"));
    EXPECT_NE(run.out.find("\"name\": \"files\""), std::string::npos) << run.out;
}

TEST_F(Commands, OtherSandboxSessionsAreEnded) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    // An application session busy in a transaction on the sandbox.
    auto psql = cluster().bin_dir() / "psql";
    pid_t pid = ::fork();
    if (pid == 0) {
        ::execl(psql.c_str(), "psql", "-X", "-q", "-d", model.target().c_str(), "-c", "BEGIN; SELECT pg_sleep(60);",
                static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ASSERT_TRUE(wait_until(
        [&] {
            return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                                  model.sandbox() + "' AND query LIKE '%pg_sleep(60)%'") == "1\n";
        },
        30));
    auto run = refresh(model, {"--json", "-"});
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.out.find("\"sessions_ended\": 1"), std::string::npos) << run.out;
    EXPECT_NE(WEXITSTATUS(status), 0);
}

TEST_F(Commands, PasswordsNeverAppearInOutput) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    auto run = refresh(model, {"--verbose", "--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    for (const char* secret : {dump_password, sandbox_password}) {
        EXPECT_EQ(run.all().find(secret), std::string::npos) << secret;
    }
    EXPECT_NE(run.err.find("[target] DROP OWNED BY"), std::string::npos) << "verbose shows SQL";
    // A wrong password: the error names the server, not the password.
    auto bad = run_tool({"plan", "--source", cluster().login_conninfo("sbx_dump", "Wrong-Pass-123", model.prod())});
    EXPECT_EQ(bad.exit_code, 1) << bad.all();
    EXPECT_NE(bad.err.find("could not connect to source database"), std::string::npos) << bad.err;
    EXPECT_EQ(bad.all().find("Wrong-Pass-123"), std::string::npos) << bad.all();
}

TEST(CommandLine, HelpDocumentsExitCodesAndUsageErrorsExitTwo) {
    auto help = run_tool({"--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("4  verify found differences"), std::string::npos) << help.out;
    auto missing = run_tool({"refresh", "--target", "dbname=x"}, {{"SANDBOXCTL_SOURCE", ""}});
    EXPECT_EQ(missing.exit_code, 2) << missing.all();
    EXPECT_NE(missing.err.find("no source connection given"), std::string::npos) << missing.err;
    auto unknown = run_tool({"refresh", "--no-such-option"});
    EXPECT_EQ(unknown.exit_code, 2);
    auto bad_timeout = run_tool({"refresh", "--source", "dbname=a", "--target", "dbname=b", "--lock-timeout", "soon"});
    EXPECT_EQ(bad_timeout.exit_code, 2) << bad_timeout.all();
}

}  // namespace
}  // namespace sandboxctl::test

namespace sandboxctl::test {
namespace {

class Hooks : public PgTest {};

TEST_F(Hooks, BeforeAndAfterRunAroundTheRefreshEvenOnFailure) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    TempDir dir;
    auto trace = dir / "trace";
    std::ofstream(dir / "sandboxctl.toml") << "[hooks]\nbefore = \"echo before >> '" << trace.string()
                                           << "'\"\nafter = \"echo after >> '" << trace.string() << "'\"\n";
    auto ok = refresh(model, {"-c", (dir / "sandboxctl.toml").string()});
    ASSERT_EQ(ok.exit_code, 0) << ok.all();
    EXPECT_EQ(read_file(trace), "before\nafter\n");

    std::ofstream(dir / "broken.sql") << "SELECT 1/0;\n";
    auto failed =
        refresh(model, {"-c", (dir / "sandboxctl.toml").string(), "--post-sql", (dir / "broken.sql").string()});
    EXPECT_EQ(failed.exit_code, 1) << failed.all();
    EXPECT_NE(failed.err.find("division by zero"), std::string::npos) << failed.err;
    EXPECT_EQ(read_file(trace), "before\nafter\nbefore\nafter\n");
}

TEST_F(Hooks, FailingBeforeHookStopsTheRefreshBeforeAnyChange) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    model.sandbox_sql("SET ROLE sbx_sandbox_owner; CREATE TABLE precious (id int)");
    TempDir dir;
    std::ofstream(dir / "sandboxctl.toml") << "[hooks]\nbefore = \"exit 3\"\n";
    // --init: the sandbox holds a table but was never refreshed (no mark).
    auto run = refresh(model, {"-c", (dir / "sandboxctl.toml").string(), "--init=" + model.sandbox()});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("the before hook exited with status 3"), std::string::npos) << run.err;
    EXPECT_EQ(model.sandbox_sql("SELECT to_regclass('public.precious') IS NOT NULL"), "t\n");
    EXPECT_EQ(connection_limit(cluster(), model.sandbox()), -1);
}

// Issue 20: a failing after hook used to be printed as an error with exit 0
// over a committed refresh whose application may still be stopped.
TEST_F(Hooks, AFailingAfterHookAfterTheCommitExitsFiveNamingIt) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    TempDir dir;
    std::ofstream(dir / "sandboxctl.toml") << "[hooks]\nafter = \"exit 4\"\n";
    auto run = refresh(model, {"-c", (dir / "sandboxctl.toml").string()});
    EXPECT_EQ(run.exit_code, 5) << run.all();
    EXPECT_NE(run.err.find("the sandbox was refreshed (committed), but the after hook exited with status 4"),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("[hooks]"), std::string::npos) << run.err;
    EXPECT_EQ(connection_limit(cluster(), model.sandbox()), -1);
}

// Found by the hostile review of issue 20: a child a hook leaves running in
// the background keeps the hook's output pipe open, and the run waited for
// it to end.
TEST_F(Hooks, AChildAHookLeavesRunningDoesNotHoldTheRun) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    TempDir dir;
    // Durations no other test process uses: this run's children alone match.
    const std::string pid = std::to_string(::getpid());
    std::ofstream(dir / "sandboxctl.toml")
        << "[hooks]\nbefore = \"echo stopping; sleep 302." << pid << " &\"\nafter = \"sleep 303." << pid << " &\"\n";
    BackgroundTool tool(
        {"refresh", "--source", model.source(), "--target", model.target(), "-c", (dir / "sandboxctl.toml").string()},
        {{"XDG_STATE_HOME", (dir / "state").string()}});
    // Not a measure of speed: the children sleep five minutes, a refresh of
    // this model takes seconds.
    bool ended = wait_until([&] { return tool.exited(); }, 150);
    if (!ended) tool.send(SIGKILL);
    auto run = tool.finish();
    EXPECT_EQ(std::system(("pkill -f 'sleep 30[23]." + pid + "'").c_str()), 0) << "the hooks' children did not run";
    EXPECT_TRUE(ended) << "the run waited for the hooks' children";
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.err.find("stopping"), std::string::npos) << run.err;
}

// Issue 9: after SIGINT the before hook's child kept running, and the error
// was printed twice (the after hook, interrupted too, added its own).
TEST_F(Hooks, InterruptStopsTheBeforeHookAndStillRunsTheAfterHook) {
    Model model(cluster(), test_name());
    model.load_prod("adversarial.sql");
    TempDir dir;
    auto trace = dir / "trace";
    // A duration no other test process uses: this run's hook alone matches.
    const std::string pid = std::to_string(::getpid());
    std::ofstream(dir / "sandboxctl.toml")
        << "[hooks]\nbefore = \"echo before >> '" << trace.string() << "'; sleep 301." << pid << "; echo late >> '"
        << trace.string() << "'\"\nafter = \"echo after >> '" << trace.string() << "'\"\n";
    BackgroundTool tool(
        {"refresh", "--source", model.source(), "--target", model.target(), "-c", (dir / "sandboxctl.toml").string()},
        {{"XDG_STATE_HOME", (dir / "state").string()}});
    ASSERT_TRUE(wait_until([&] { return read_file(trace) == "before\n"; }, 60));
    tool.send(SIGINT);
    auto run = tool.finish();
    EXPECT_EQ(run.exit_code, 1) << run.all();
    auto first = run.err.find("interrupted by signal 2 (SIGINT)");
    EXPECT_NE(first, std::string::npos) << run.err;
    EXPECT_EQ(run.err.find("interrupted", first + 1), std::string::npos) << run.err;
    EXPECT_EQ(read_file(trace), "before\nafter\n");
    EXPECT_NE(std::system(("pgrep -f 'sleep 30[1]." + pid + "' >/dev/null").c_str()), 0)
        << "the hook's child still runs";
}

}  // namespace
}  // namespace sandboxctl::test
