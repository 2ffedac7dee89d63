// Issue 22, items 2 and 3: a pool of sandboxes brought to the sandbox's
// snapshot by `pool sync`, lent by `lease`, put back by `release`, expired
// leases reclaimed, held members never touched, and runs killed halfway
// leaving every member at the snapshot or as it was.
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "core/process.hpp"
#include "harness/failpoint.hpp"
#include "pg/reset_fixture.hpp"

namespace sandboxctl::test {
namespace {

class Pool : public ResetFixture {
protected:
    static constexpr int member_count = 4;

    void SetUp() override {
        ResetFixture::SetUp();
        if (IsSkipped() || HasFailure()) return;
        for (int k = 1; k <= member_count; ++k) {
            cluster().psql("postgres", "DROP DATABASE IF EXISTS \"" + member(k) + "\" WITH (FORCE)");
            cluster().psql("postgres", "CREATE DATABASE \"" + member(k) + "\" OWNER " + sandbox_role);
        }
        write_config("2h");
    }

    std::string member(int k) const { return model_->sandbox() + "_m" + std::to_string(k); }
    std::string member_target(int k) {
        return cluster().login_conninfo("sbx_sandbox_login", sandbox_password, member(k));
    }

    void write_config(const std::string& ttl, const std::vector<std::string>& extra_targets = {}) {
        std::ofstream config(work_ / "pool.toml");
        config << "[pool]\ntargets = [\n";
        for (int k = 1; k <= member_count; ++k) config << "  \"" << member_target(k) << "\",\n";
        for (const auto& target : extra_targets) config << "  \"" << target << "\",\n";
        config << "]\nsnapshot = \"golden\"\nlease_ttl = \"" << ttl << "\"\n";
    }

    std::vector<std::string> pool_args(std::vector<std::string> args) const {
        args.insert(args.begin(), {"-c", (work_ / "pool.toml").string()});
        args.insert(args.end(), {"--snapshot-dir", store_});
        return args;
    }
    std::vector<std::pair<std::string, std::string>> env() const {
        return {{"XDG_STATE_HOME", (work_ / "state").string()}};
    }
    ToolRun pool_tool(std::vector<std::string> args) { return run_tool(pool_args(std::move(args)), env()); }

    void sync_all() {
        auto sync = pool_tool({"pool", "sync"});
        ASSERT_EQ(sync.exit_code, 0) << sync.all();
    }

    // The lease's id and member, from `lease --json -`.
    struct Leased {
        std::string id;
        int member = 0;
    };
    Leased lease(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"lease", "--json", "-", "--holder", "test"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto run = pool_tool(args);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        if (run.exit_code != 0) return {};
        auto doc = nlohmann::json::parse(run.out);
        return {doc["lease"].get<std::string>(), doc["member"].get<int>()};
    }

    DatabaseState member_state(int k) { return capture_state(cluster(), member(k), sandbox_role); }
    void expect_at_snapshot(int k) {
        auto now = member_state(k);
        EXPECT_TRUE(golden_ == now) << member(k) << ": " << describe_differences(golden_, now);
    }
    void write_to_member(int k) {
        cluster().psql(member(k), "SET ROLE sbx_sandbox_login; UPDATE customer SET nom = 'agent was here' "
                                  "WHERE rowid = 1; INSERT INTO employee VALUES (40, 1, 'agent hire')");
    }
    // `pool sync` whose resets stop at their commit until `failpoints` lets them go.
    std::unique_ptr<BackgroundTool> sync_stopping_at_commit(const FailpointDriver& failpoints) {
        auto e = env();
        auto hook = failpoints.env("commit");
        e.insert(e.end(), hook.begin(), hook.end());
        return std::make_unique<BackgroundTool>(pool_args({"pool", "sync"}), e);
    }
    std::string lease_state(int k) { return cluster().psql(member(k), "SELECT state FROM sandboxctl_pool.lease"); }
    // `lease --hold --json lease.json --service-file lease.conf --ttl TTL`
    // (in work_), once it has written lease.json.
    std::unique_ptr<BackgroundTool> hold_with_service_file(const std::string& ttl) {
        auto file = work_ / "lease.json";
        auto hold =
            std::make_unique<BackgroundTool>(pool_args({"lease", "--hold", "--json", file.string(), "--service-file",
                                                        (work_ / "lease.conf").string(), "--ttl", ttl}),
                                             env());
        EXPECT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
        return hold;
    }
};

TEST_F(Pool, SyncBringsEveryMemberToTheSnapshotEachWithItsOwnMark) {
    auto sync = pool_tool({"pool", "sync"});
    ASSERT_EQ(sync.exit_code, 0) << sync.all();
    std::set<std::string> marks;
    for (int k = 1; k <= member_count; ++k) {
        expect_at_snapshot(k);
        EXPECT_EQ(lease_state(k), "free\n");
        marks.insert(cluster().psql(member(k), "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                               "WHERE datname = current_database()"));
        EXPECT_NE(sync.out.find("member " + std::to_string(k) + " (" + member(k) + "), taken into the pool"),
                  std::string::npos)
            << sync.all();
    }
    marks.insert(cluster().psql(model_->sandbox(), "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                                   "WHERE datname = current_database()"));
    EXPECT_EQ(marks.size(), member_count + 1u);
    auto again = pool_tool({"pool", "sync"});
    ASSERT_EQ(again.exit_code, 0) << again.all();
    EXPECT_NE(again.out.find("at the snapshot already"), std::string::npos) << again.all();
    EXPECT_EQ(again.out.find("reset"), std::string::npos) << again.all();
}

TEST_F(Pool, TwentyConcurrentLeasesOnFourMembersGiveFourLeasesAndSixteenRefusals) {
    sync_all();
    std::vector<std::future<ToolRun>> callers;
    for (int i = 0; i < 20; ++i) {
        callers.push_back(std::async(std::launch::async, [&, i] {
            return run_tool(pool_args({"lease", "--json", "-", "--holder", "caller-" + std::to_string(i)}), env());
        }));
    }
    std::set<int> members;
    int granted = 0, exhausted = 0;
    for (auto& caller : callers) {
        auto run = caller.get();
        if (run.exit_code == 0) {
            ++granted;
            members.insert(nlohmann::json::parse(run.out)["member"].get<int>());
        } else {
            EXPECT_EQ(run.exit_code, 3) << run.all();
            EXPECT_NE(run.err.find("pool exhausted: 4 member(s): 4 leased"), std::string::npos) << run.all();
            ++exhausted;
        }
    }
    EXPECT_EQ(granted, 4);
    EXPECT_EQ(members.size(), 4u);
    EXPECT_EQ(exhausted, 16);
}

TEST_F(Pool, AReleasedMemberEqualsTheSnapshotAndItsLeaseIsOver) {
    sync_all();
    auto leased = lease();
    ASSERT_GT(leased.member, 0);
    write_to_member(leased.member);
    auto status = pool_tool({"pool", "status"});
    ASSERT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.out.find("leased"), std::string::npos) << status.all();
    auto release = pool_tool({"release", leased.id});
    ASSERT_EQ(release.exit_code, 0) << release.all();
    EXPECT_NE(release.out.find("delta reset"), std::string::npos) << release.all();
    expect_at_snapshot(leased.member);
    EXPECT_EQ(lease_state(leased.member), "free\n");
    auto twice = pool_tool({"release", leased.id});
    EXPECT_EQ(twice.exit_code, 3) << twice.all();
    auto forged = pool_tool({"release", std::to_string(leased.member) + "-" + std::string(32, 'a')});
    EXPECT_EQ(forged.exit_code, 3) << forged.all();
    EXPECT_EQ(pool_tool({"release", "not-a-lease"}).exit_code, 2);
}

TEST_F(Pool, AnExpiredLeaseIsReclaimedByTheNextPoolCommand) {
    sync_all();
    auto leased = lease({"--ttl", "1s"});
    ASSERT_GT(leased.member, 0);
    write_to_member(leased.member);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto status = pool_tool({"pool", "status"});
    ASSERT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.out.find("lease of \"test\" expired"), std::string::npos) << status.all();
    expect_at_snapshot(leased.member);
    EXPECT_EQ(lease_state(leased.member), "free\n");
    EXPECT_EQ(pool_tool({"release", leased.id}).exit_code, 3);
}

TEST_F(Pool, ExpiredLeasesAreLentAgainWhenNoMemberIsFree) {
    sync_all();
    for (int i = 0; i < member_count; ++i) ASSERT_GT(lease({"--ttl", "1s"}).member, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    auto again = lease();
    EXPECT_GT(again.member, 0);
}

TEST_F(Pool, SyncNeverResetsAMemberWhoseLeaseIsHeld) {
    sync_all();
    auto leased = lease();
    ASSERT_GT(leased.member, 0);
    write_to_member(leased.member);
    auto before = member_state(leased.member);
    auto sync = pool_tool({"pool", "sync"});
    ASSERT_EQ(sync.exit_code, 0) << sync.all();
    EXPECT_NE(sync.out.find("leased by \"test\" until"), std::string::npos) << sync.all();
    EXPECT_TRUE(before == member_state(leased.member));
    EXPECT_EQ(lease_state(leased.member), "leased\n");
}

// The processes whose parent is `pid` (pool sync's children).
std::vector<int> children_of(int pid) {
    std::vector<int> found;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        auto name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        std::string state;
        int parent = 0;
        rest >> state >> parent;
        if (parent == pid) found.push_back(std::stoi(name));
    }
    return found;
}

// Whether `pid` runs (not a zombie nobody reaped yet).
bool running(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(stat, line)) return false;
    auto close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

TEST_F(Pool, KillingSyncHalfwayLeavesEveryMemberAtTheSnapshotOrAsItWas) {
    sync_all();
    for (int k = 1; k <= member_count; ++k) write_to_member(k);
    auto written = member_state(1);
    FailpointDriver failpoints(work_ / "failpoint");
    auto sync = sync_stopping_at_commit(failpoints);
    // The members are reset at once, a child each: one is at its commit.
    ASSERT_TRUE(failpoints.wait_reached(60));
    auto children = children_of(sync->pid());
    EXPECT_EQ(children.size(), static_cast<std::size_t>(member_count));
    sync->send(SIGKILL);
    for (int child : children) ::kill(child, SIGKILL);
    sync->finish();
    for (int k = 1; k <= member_count; ++k) {
        auto now = member_state(k);
        EXPECT_TRUE(golden_ == now || written == now) << member(k);
        if (!(golden_ == now)) {
            EXPECT_NE(lease_state(k), "free\n") << "member " << k << " lendable as it was";
        }
    }
    EXPECT_TRUE(written == member_state(1)) << "its reset had not committed";
    sync_all();
    for (int k = 1; k <= member_count; ++k) expect_at_snapshot(k);
}

TEST_F(Pool, KillingSyncBeforeItsChildrenCommitMakesThemRollBack) {
    sync_all();
    for (int k = 1; k <= member_count; ++k) write_to_member(k);
    auto written = member_state(1);
    FailpointDriver failpoints(work_ / "failpoint");
    auto sync = sync_stopping_at_commit(failpoints);
    ASSERT_TRUE(failpoints.wait_reached(60));
    auto children = children_of(sync->pid());
    // Only the parent: its children end with it (SIGTERM), and roll back.
    sync->send(SIGKILL);
    sync->finish();
    // Each child stops at its commit in turn: let each go on (to its rollback).
    EXPECT_TRUE(wait_until(
        [&] {
            failpoints.release();
            return std::none_of(children.begin(), children.end(), running);
        },
        60));
    for (int k = 1; k <= member_count; ++k) {
        auto now = member_state(k);
        EXPECT_TRUE(golden_ == now || written == now) << member(k);
        if (!(golden_ == now)) {
            EXPECT_NE(lease_state(k), "free\n") << "member " << k << " lendable as it was";
        }
    }
    sync_all();
    for (int k = 1; k <= member_count; ++k) expect_at_snapshot(k);
}

TEST_F(Pool, KillingReleaseLeavesTheMemberLeasedAndTheReleaseCanRunAgain) {
    sync_all();
    auto leased = lease();
    ASSERT_GT(leased.member, 0);
    write_to_member(leased.member);
    auto written = member_state(leased.member);
    FailpointDriver failpoints(work_ / "failpoint");
    BackgroundTool release(pool_args({"release", leased.id}), [&] {
        auto e = env();
        auto hook = failpoints.env("commit");
        e.insert(e.end(), hook.begin(), hook.end());
        return e;
    }());
    ASSERT_TRUE(failpoints.wait_reached(60));
    release.send(SIGKILL);
    release.finish();
    EXPECT_TRUE(written == member_state(leased.member));
    EXPECT_EQ(lease_state(leased.member), "leased\n");
    auto again = pool_tool({"release", leased.id});
    ASSERT_EQ(again.exit_code, 0) << again.all();
    expect_at_snapshot(leased.member);
}

TEST_F(Pool, RefusesMembersThatAreNotThePools) {
    // Prod (not empty, unmarked) and the sandbox itself as members.
    write_config("2h", {model_->source(), model_->target()});
    auto sync = pool_tool({"pool", "sync"});
    EXPECT_EQ(sync.exit_code, 1) << sync.all();
    EXPECT_NE(sync.out.find("member 5 (" + model_->prod() + "): refusing to use"), std::string::npos) << sync.all();
    EXPECT_NE(sync.out.find("it is the sandbox snapshot \"golden\" is taken of"), std::string::npos) << sync.all();
    for (int k = 1; k <= member_count; ++k) expect_at_snapshot(k);
    EXPECT_EQ(cluster().psql(model_->prod(), "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sandboxctl%'"),
              "0\n");
}

TEST_F(Pool, LeaseBeforeAnySyncIsRefusedSayingWhy) {
    auto run = pool_tool({"lease"});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("the pool has no record"), std::string::npos) << run.all();
    auto no_pool = run_tool({"lease", "--snapshot-dir", store_}, env());
    EXPECT_EQ(no_pool.exit_code, 2) << no_pool.all();
}

// From the hostile review of issue 22.
TEST_F(Pool, RefusesASuperuserOrOwnerLoginAsAMemberBeforeMarkingIt) {
    cluster().psql("postgres", "DROP DATABASE IF EXISTS \"" + member(9) + "\" WITH (FORCE)");
    cluster().psql("postgres", "CREATE DATABASE \"" + member(9) + "\" OWNER sbx_sandbox_login");
    auto superuser = cluster().login_conninfo("sbx_superuser", superuser_password, member(1));
    auto owner_login = cluster().login_conninfo("sbx_sandbox_login", sandbox_password, member(9));
    write_config("2h", {superuser, owner_login});
    auto sync = pool_tool({"pool", "sync"});
    EXPECT_EQ(sync.exit_code, 1) << sync.all();
    EXPECT_NE(sync.out.find("its login \"sbx_superuser\" is a superuser"), std::string::npos) << sync.all();
    EXPECT_NE(sync.out.find("its login \"sbx_sandbox_login\" owns the database"), std::string::npos) << sync.all();
    EXPECT_EQ(cluster().psql(member(9), "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'sandboxctl%'"), "0\n");
    auto record = read_file(std::filesystem::path(store_) / ".pool-golden.json");
    EXPECT_EQ(nlohmann::json::parse(record)["members"].size(), static_cast<std::size_t>(member_count));
}

TEST_F(Pool, LeaseWithoutThePoolsRecordIsRefused) {
    sync_all();
    std::filesystem::remove(std::filesystem::path(store_) / ".pool-golden.json");
    auto run = pool_tool({"lease"});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("the pool has no record"), std::string::npos) << run.all();
}

TEST_F(Pool, WritesAfterAReleaseMakeTheMemberDirtyAndReapResetsIt) {
    sync_all();
    auto leased = lease();
    ASSERT_GT(leased.member, 0);
    ASSERT_EQ(pool_tool({"release", leased.id}).exit_code, 0);
    write_to_member(leased.member);
    auto status = pool_tool({"pool", "status", "--json", "-"});
    ASSERT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.err.find("writes after its release): delta reset"), std::string::npos) << status.all();
    expect_at_snapshot(leased.member);
}

TEST_F(Pool, AHolderMustBeShortPrintableUtf8) {
    sync_all();
    std::string accents;
    for (int i = 0; i < 200; ++i) accents += "\xc3\xa9";
    auto granted = pool_tool({"lease", "--holder", accents});
    EXPECT_EQ(granted.exit_code, 0) << granted.all();
    for (const std::string& bad : {std::string("\xff\xfe"), accents + "x", std::string("a\nb"),
                                   std::string("\xe2\x80\xae"
                                               "evil")}) {
        auto run = pool_tool({"lease", "--holder", bad});
        EXPECT_EQ(run.exit_code, 2) << run.all();
    }
}

// Issue 22, item 4: the agent Job's native sidecar, `lease --hold`.
TEST_F(Pool, AHeldLeaseIsReleasedAtTheStopSignalAndItsIdStaysOutOfTheLog) {
    sync_all();
    auto file = work_ / "lease.json";
    BackgroundTool hold(pool_args({"lease", "--hold", "--json", file.string(), "--holder", "agent-job"}), env());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
    auto doc = nlohmann::json::parse(read_file(file));
    int k = doc["member"].get<int>();
    EXPECT_EQ(lease_state(k), "leased\n");
    write_to_member(k);
    // Still held: the holder is not done until it is told to stop.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(hold.exited());
    hold.send(SIGTERM);
    auto run = hold.finish();
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.err.find("signal 15 (SIGTERM): releasing member " + std::to_string(k)), std::string::npos)
        << run.all();
    EXPECT_NE(run.out.find("released member " + std::to_string(k)), std::string::npos) << run.all();
    EXPECT_EQ(run.all().find(doc["lease"].get<std::string>()), std::string::npos) << run.all();
    expect_at_snapshot(k);
    EXPECT_EQ(lease_state(k), "free\n");
}

TEST_F(Pool, AHoldStoppedBeforeItsLeaseOrKilledOutrightLeavesNoMemberTaken) {
    sync_all();
    std::vector<Leased> taken;
    for (int i = 0; i < member_count; ++i) taken.push_back(lease());
    auto file = work_ / "lease.json";
    // Waiting for a member when the stop comes: nothing is leased, no file.
    BackgroundTool waiting(pool_args({"lease", "--hold", "--json", file.string(), "--wait", "1min"}), env());
    std::this_thread::sleep_for(std::chrono::milliseconds(700));
    waiting.send(SIGTERM);
    auto stopped = waiting.finish();
    EXPECT_EQ(stopped.exit_code, 1) << stopped.all();
    EXPECT_NE(stopped.err.find("interrupted by signal 15"), std::string::npos) << stopped.all();
    EXPECT_FALSE(std::filesystem::exists(file));
    // Killed outright while holding: the lease ends at its expiry.
    ASSERT_EQ(pool_tool({"release", taken.front().id}).exit_code, 0);
    BackgroundTool killed(pool_args({"lease", "--hold", "--json", file.string(), "--ttl", "1s"}), env());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
    killed.send(SIGKILL);
    killed.finish();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    auto status = pool_tool({"pool", "status"});
    ASSERT_EQ(status.exit_code, 0) << status.all();
    EXPECT_EQ(lease_state(taken.front().member), "free\n");
    for (const auto& json : {std::string("-"), std::string()}) {
        std::vector<std::string> args = {"lease", "--hold"};
        if (!json.empty()) args.insert(args.end(), {"--json", json});
        auto refused = pool_tool(args);
        EXPECT_EQ(refused.exit_code, 2) << refused.all();
        EXPECT_NE(refused.err.find("--hold needs --json FILE"), std::string::npos) << refused.all();
    }
}

// docs/kubernetes.md's pool: members named by libpq services, whose file
// holds the passwords; the databases shown are the sessions' own.
TEST_F(Pool, MembersNamedByServicesShowTheirDatabasesAndNoPassword) {
    auto services = work_ / "pg_service.conf";
    {
        std::ofstream file(services);
        for (int k = 1; k <= 2; ++k) {
            file << "[pool-" << k << "]\nhost=127.0.0.1\nport=" << cluster().port() << "\ndbname=" << member(k)
                 << "\nuser=sbx_sandbox_login\npassword=" << sandbox_password << "\n\n";
        }
    }
    std::filesystem::permissions(services, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    {
        std::ofstream config(work_ / "pool.toml");
        config << "[pool]\ntargets = [\"service=pool-1\", \"service=pool-2\"]\nsnapshot = \"golden\"\n";
    }
    auto e = env();
    e.emplace_back("PGSERVICEFILE", services.string());
    auto sync = run_tool(pool_args({"pool", "sync"}), e);
    ASSERT_EQ(sync.exit_code, 0) << sync.all();
    EXPECT_NE(sync.out.find("member 2 (" + member(2) + "), taken into the pool"), std::string::npos) << sync.all();
    auto handed = work_ / "lease.conf";
    auto run = run_tool(pool_args({"lease", "--json", "-", "--service-file", handed.string()}), e);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto doc = nlohmann::json::parse(run.out);
    int k = doc["member"].get<int>();
    EXPECT_EQ(doc["database"].get<std::string>(), member(k));
    // The password came from the services' file; the agent's file has it, for its member only.
    auto text = read_file(handed);
    EXPECT_NE(text.find("dbname=" + member(k) + "\n"), std::string::npos) << text.size();
    EXPECT_NE(text.find("password=" + std::string(sandbox_password) + "\n"), std::string::npos);
    EXPECT_EQ(text.find("service="), std::string::npos);
    EXPECT_EQ(doc["conninfo"].get<std::string>(), "service='pool-" + std::to_string(k) + "'");
    auto status = run_tool(pool_args({"pool", "status"}), e);
    ASSERT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.out.find(member(k)), std::string::npos) << status.all();
    auto release = run_tool(pool_args({"release", doc["lease"].get<std::string>()}), e);
    ASSERT_EQ(release.exit_code, 0) << release.all();
    EXPECT_NE(release.out.find("released member " + std::to_string(k) + " (" + member(k) + ")"), std::string::npos)
        << release.all();
    for (const auto* run_output : {&sync, &run, &status, &release})
        EXPECT_EQ(run_output->all().find(sandbox_password), std::string::npos) << run_output->all();
}

// A caller that never got its lease (its report could not be written) does
// not leave the member lent until the expiry.
TEST_F(Pool, ALeaseWhoseReportCannotBeWrittenIsGivenBack) {
    sync_all();
    // 250 bytes: the release's connection-limit record fits, the report (its
    // conninfo names the member's long database twice) does not.
    auto run = run_tool_with_file_limit(pool_args({"lease", "--json", (work_ / "lease.json").string()}), env(), 250);
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("released again: its lease could not be handed over"), std::string::npos) << run.all();
    for (int k = 1; k <= member_count; ++k) EXPECT_EQ(lease_state(k), "free\n") << member(k);
}

// The agent's credentials for its member alone: `lease --service-file`.
TEST_F(Pool, AServiceFileReachesTheLeasedMemberAndNoOutputHoldsThePassword) {
    sync_all();
    auto service_file = work_ / "lease.conf";
    auto run = pool_tool({"lease", "--json", "-", "--service-file", service_file.string()});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(run.all().find(sandbox_password), std::string::npos) << run.all();
    int k = nlohmann::json::parse(run.out)["member"].get<int>();
    EXPECT_EQ(std::filesystem::status(service_file).permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto text = read_file(service_file);
    EXPECT_NE(text.find("password=" + std::string(sandbox_password) + "\n"), std::string::npos);
    auto agent = run_process({{(cluster().bin_dir() / "psql").string(), "-X", "-At", "service=lease", "-c",
                               "SELECT current_database() || ' ' || current_user"},
                              {{"PGSERVICEFILE", service_file.string()}, {"PGPASSFILE", "/dev/null"}},
                              {},
                              true,
                              std::chrono::milliseconds(0),
                              {"PGPASSWORD", "PGSERVICE", "PGDATABASE", "PGHOST", "PGPORT", "PGUSER"}});
    ASSERT_EQ(agent.exit_status, 0) << agent.err;
    EXPECT_EQ(agent.out, member(k) + " sbx_sandbox_login\n");
    // Refused before anything is leased.
    auto directory = pool_tool({"lease", "--service-file", work_.path().string()});
    EXPECT_EQ(directory.exit_code, 2) << directory.all();
    auto same = pool_tool({"lease", "--json", service_file.string(), "--service-file", service_file.string()});
    EXPECT_EQ(same.exit_code, 2) << same.all();
    EXPECT_EQ(pool_tool({"lease", "--service-file", "-"}).exit_code, 2);
    int leased = 0;
    for (int m = 1; m <= member_count; ++m) leased += lease_state(m) == "leased\n" ? 1 : 0;
    EXPECT_EQ(leased, 1);
}

// Members whose password comes from a password file: the agent's service
// file still carries it (the agent gets no password file of its own).
TEST_F(Pool, AServiceFileCarriesThePasswordOfAPasswordFile) {
    sync_all();
    auto passfile = work_ / "pgpass";
    {
        std::ofstream file(passfile);
        file << "*:*:*:sbx_sandbox_login:" << sandbox_password << "\n";
    }
    std::filesystem::permissions(passfile, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    {
        std::ofstream config(work_ / "pool.toml");
        config << "[pool]\ntargets = [\"host=127.0.0.1 port=" << cluster().port()
               << " user=sbx_sandbox_login dbname=" << member(1) << "\"]\nsnapshot = \"golden\"\n";
    }
    auto e = env();
    e.emplace_back("PGPASSFILE", passfile.string());
    auto service_file = work_ / "lease.conf";
    auto run = run_tool(pool_args({"lease", "--json", "-", "--service-file", service_file.string()}), e);
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(run.all().find(sandbox_password), std::string::npos) << run.all();
    EXPECT_NE(read_file(service_file).find("password=" + std::string(sandbox_password) + "\n"), std::string::npos);
    auto agent = run_process(
        {{(cluster().bin_dir() / "psql").string(), "-X", "-At", "service=lease", "-c", "SELECT current_database()"},
         {{"PGSERVICEFILE", service_file.string()}, {"PGPASSFILE", "/dev/null"}},
         {},
         true,
         std::chrono::milliseconds(0),
         {"PGPASSWORD", "PGSERVICE", "PGDATABASE", "PGHOST", "PGPORT", "PGUSER"}});
    ASSERT_EQ(agent.exit_status, 0) << agent.err;
    EXPECT_EQ(agent.out, member(1) + "\n");
}

// A member a service file cannot describe (its database name starts with a
// blank, which libpq strips from a service file's line) is not leased.
TEST_F(Pool, AMemberAServiceFileCannotHoldIsNotLeasedForOne) {
    std::string blank = " " + member(1);
    cluster().psql("postgres", "DROP DATABASE IF EXISTS \"" + blank + "\" WITH (FORCE)");
    cluster().psql("postgres", "CREATE DATABASE \"" + blank + "\" OWNER " + sandbox_role);
    {
        std::ofstream config(work_ / "pool.toml");
        config << "[pool]\ntargets = [\"host=127.0.0.1 port=" << cluster().port()
               << " user=sbx_sandbox_login password=" << sandbox_password << " dbname=' " << member(1)
               << "'\"]\nsnapshot = \"golden\"\n";
    }
    sync_all();
    auto run = pool_tool({"lease", "--service-file", (work_ / "lease.conf").string()});
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_NE(run.err.find("could not write the connection parameter \"dbname\" to a service file"), std::string::npos)
        << run.all();
    EXPECT_FALSE(std::filesystem::exists(work_ / "lease.conf"));
    EXPECT_EQ(cluster().psql(blank, "SELECT state FROM sandboxctl_pool.lease"), "free\n");
    auto plain = pool_tool({"lease"});
    EXPECT_EQ(plain.exit_code, 0) << plain.all();
}

// From the hostile review of the agent Job's sidecar.
TEST_F(Pool, AStopSignalWhileEveryClaimWaitsLeasesNothing) {
    sync_all();
    // Each lease row locked by a session of the administrator's: the claims wait.
    std::vector<pg::Connection> lockers;
    for (int k = 1; k <= member_count; ++k) {
        lockers.push_back(
            pg::Connection::open(pg::ConnInfo::parse(cluster().admin_conninfo(member(k)), "test"), "test"));
        lockers.back().exec("BEGIN");
        lockers.back().exec("SELECT * FROM sandboxctl_pool.lease FOR UPDATE");
    }
    auto file = work_ / "lease.json";
    BackgroundTool hold(pool_args({"lease", "--hold", "--json", file.string()}), env());
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    hold.send(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    for (auto& locker : lockers) locker.exec("COMMIT");
    auto run = hold.finish();
    EXPECT_NE(run.exit_code, 0) << run.all();
    EXPECT_FALSE(std::filesystem::exists(file));
    for (int k = 1; k <= member_count; ++k) EXPECT_EQ(lease_state(k), "free\n") << member(k);
}

TEST_F(Pool, AHeldLeaseLostMeanwhileExitsThreeWithoutItsIdAndItsFileIsTheCallersAlone) {
    sync_all();
    auto file = work_ / "lease.json";
    BackgroundTool hold(pool_args({"lease", "--hold", "--json", file.string(), "--ttl", "1s"}), env());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
    EXPECT_EQ(std::filesystem::status(file).permissions(),
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto id = nlohmann::json::parse(read_file(file))["lease"].get<std::string>();
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    ASSERT_EQ(pool_tool({"pool", "reap"}).exit_code, 0);
    hold.send(SIGTERM);
    auto run = hold.finish();
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("does not hold this lease: it is free"), std::string::npos) << run.all();
    EXPECT_EQ(run.all().find(id), std::string::npos) << run.all();
    EXPECT_TRUE(std::filesystem::exists(file));  // kept: the release did not happen
}

// Past its expiry a held lease may be lent again: the agent is told, and
// loses its credentials for the member; a stop signal still releases it if
// no pool command reclaimed it meanwhile.
TEST_F(Pool, AHeldLeasePastItsExpiryWarnsAndRemovesItsServiceFile) {
    sync_all();
    auto file = work_ / "lease.json";
    auto service = work_ / "lease.conf";
    auto held = hold_with_service_file("2s");
    auto& hold = *held;
    EXPECT_TRUE(std::filesystem::exists(service));
    int k = nlohmann::json::parse(read_file(file))["member"].get<int>();
    ASSERT_TRUE(wait_until([&] { return !std::filesystem::exists(service); }, 30));
    EXPECT_FALSE(hold.exited());
    hold.send(SIGTERM);
    auto run = hold.finish();
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.err.find("the lease of member " + std::to_string(k) + " (" + member(k) + ") expires at"),
              std::string::npos)
        << run.all();
    EXPECT_NE(run.err.find("the lease's service file is gone"), std::string::npos) << run.all();
    EXPECT_EQ(lease_state(k), "free\n");
}

// What the agent put in place of its service file (a directory, with files)
// is left, and the hold says it could not remove it.
TEST_F(Pool, AHoldRemovesItsServiceFileOnlyAndSaysWhenItCannot) {
    sync_all();
    auto service = work_ / "lease.conf";
    auto held = hold_with_service_file("1s");
    auto& hold = *held;
    std::filesystem::remove(service);
    std::filesystem::create_directory(service);
    std::ofstream(service / "keep") << "agent's\n";
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    hold.send(SIGTERM);
    auto run = hold.finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.err.find("could not remove the lease's service file \"" + service.string() + "\""), std::string::npos)
        << run.all();
    EXPECT_EQ(run.err.find("service file is gone"), std::string::npos) << run.all();
    EXPECT_EQ(read_file(service / "keep"), "agent's\n");
}

// The agent shares the service file's directory: a symlink it puts in the
// directory's place does not lead the hold to remove another file.
TEST_F(Pool, AHoldRemovesItsServiceFileFromTheDirectoryItWroteItIn) {
    sync_all();
    auto directory = work_ / "lease";
    auto other = work_ / "other";
    std::filesystem::create_directory(directory);
    std::filesystem::create_directory(other);
    std::ofstream(other / "pg_service.conf") << "not the lease's\n";
    auto file = work_ / "lease.json";
    BackgroundTool hold(pool_args({"lease", "--hold", "--json", file.string(), "--service-file",
                                   (directory / "pg_service.conf").string()}),
                        env());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
    std::filesystem::rename(directory, work_ / "lease.old");
    std::filesystem::create_directory_symlink(other, directory);
    hold.send(SIGTERM);
    auto run = hold.finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(read_file(other / "pg_service.conf"), "not the lease's\n");
    EXPECT_FALSE(std::filesystem::exists(work_ / "lease.old" / "pg_service.conf"));
}

// Two stop signals close together (20 ms: closer, the kernel delivers one):
// the second stops the release, as a later one would; the member stays
// leased and FILE stays to finish it.
TEST_F(Pool, TwoStopSignalsCloseTogetherStopTheHoldsRelease) {
    sync_all();
    auto file = work_ / "lease.json";
    BackgroundTool hold(pool_args({"lease", "--hold", "--json", file.string()}), env());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
    int k = nlohmann::json::parse(read_file(file))["member"].get<int>();
    hold.send(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    hold.send(SIGTERM);
    auto run = hold.finish();
    EXPECT_EQ(run.exit_code, 1) << run.all();
    EXPECT_EQ(lease_state(k), "leased\n");
    ASSERT_TRUE(std::filesystem::exists(file));
    auto finish = pool_tool({"release", nlohmann::json::parse(read_file(file))["lease"].get<std::string>()});
    EXPECT_EQ(finish.exit_code, 0) << finish.all();
    EXPECT_EQ(lease_state(k), "free\n");
}

// 100,000,000 hours (parse_duration takes up to a billion) passes the steady
// clock's range: a deadline that wrapped would end the wait at once. The
// longest TTL, ten years, is held without a word of expiry; a longer one is
// refused (its expiry would pass the year 9999 of ISO 8601 dates).
TEST_F(Pool, AWaitOrTtlOfAHundredMillionHoursIsNotCutShort) {
    sync_all();
    std::vector<Leased> taken;
    for (int i = 0; i < member_count; ++i) taken.push_back(lease());
    BackgroundTool waiting(pool_args({"lease", "--json", "-", "--wait", "100000000h"}), env());
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    EXPECT_FALSE(waiting.exited());
    waiting.send(SIGTERM);
    auto stopped = waiting.finish();
    EXPECT_EQ(stopped.exit_code, 1) << stopped.all();
    ASSERT_EQ(pool_tool({"release", taken.front().id}).exit_code, 0);
    auto file = work_ / "lease.json";
    for (const char* ttl : {"87601h", "100000000h"}) {
        auto refused = pool_tool({"lease", "--ttl", ttl});
        EXPECT_EQ(refused.exit_code, 2) << refused.all();
        EXPECT_NE(refused.err.find("is longer than ten years"), std::string::npos) << refused.all();
    }
    BackgroundTool hold(pool_args({"lease", "--hold", "--json", file.string(), "--ttl", "87600h"}), env());
    ASSERT_TRUE(wait_until([&] { return std::filesystem::exists(file); }, 30));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    hold.send(SIGTERM);
    auto run = hold.finish();
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(run.err.find("expired"), std::string::npos) << run.all();
}

// A caller that finds its member leased goes next to a member nobody is
// connected to: with three members leased, their agents connected, and one
// free, no lease opens more than two sessions. (In a random order alone,
// one in two would open three or four.)
TEST_F(Pool, ALeaseGoesToAMemberWithoutSessionsAfterOneLeasedToAnAgent) {
    sync_all();
    std::vector<pg::Connection> agents;
    std::set<int> leased;
    for (int i = 0; i < member_count - 1; ++i) {
        auto taken = lease();
        leased.insert(taken.member);
        agents.push_back(pg::Connection::open(pg::ConnInfo::parse(member_target(taken.member), "agent"), "agent"));
    }
    for (int round = 0; round < 10; ++round) {
        auto run = pool_tool({"--verbose", "lease", "--json", "-"});
        ASSERT_EQ(run.exit_code, 0) << run.all();
        std::size_t sessions = 0;
        for (auto at = run.err.find("connecting to"); at != std::string::npos;
             at = run.err.find("connecting to", at + 1))
            ++sessions;
        EXPECT_LE(sessions, 2U) << run.all();
        auto doc = nlohmann::json::parse(run.out);
        int k = doc["member"].get<int>();
        EXPECT_FALSE(leased.contains(k));
        ASSERT_EQ(pool_tool({"release", doc["lease"].get<std::string>()}).exit_code, 0);
        // The release's own backend may outlive its process for a moment.
        ASSERT_TRUE(wait_until(
            [&] {
                return cluster().psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '" +
                                                      member(k) + "'") == "0\n";
            },
            30));
    }
}

// The agent's session holding sandboxctl's run lock in its member: the member
// cannot be reset, and every pool command says so instead of exiting 0.
TEST_F(Pool, AForeignHolderOfTheRunLockIsReportedNotSkipped) {
    sync_all();
    auto leased = lease({"--ttl", "1s"});
    ASSERT_GT(leased.member, 0);
    auto agent = pg::Connection::open(pg::ConnInfo::parse(member_target(leased.member), "agent"), "agent");
    agent.exec("SELECT pg_advisory_lock(1935833187, 1)");
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    auto reap = pool_tool({"pool", "reap"});
    EXPECT_EQ(reap.exit_code, 1) << reap.all();
    EXPECT_NE(reap.out.find("lease of \"test\" expired: could not reclaim it"), std::string::npos) << reap.all();
    auto sync = pool_tool({"pool", "sync"});
    EXPECT_EQ(sync.exit_code, 1) << sync.all();
    agent.exec("SELECT pg_advisory_unlock_all()");
    auto again = pool_tool({"pool", "sync"});
    EXPECT_EQ(again.exit_code, 0) << again.all();
    expect_at_snapshot(leased.member);
}

TEST_F(Pool, TwoTargetsNamingOneDatabaseAreRefused) {
    write_config("2h", {member_target(1) + " application_name=another"});
    auto sync = pool_tool({"pool", "sync"});
    EXPECT_EQ(sync.exit_code, 1) << sync.all();
    EXPECT_NE(sync.out.find("is the database of member 1 too"), std::string::npos) << sync.all();
}

TEST_F(Pool, AnUnreachableMemberIsSaidUnreachableNotDirty) {
    sync_all();
    write_config("2h", {cluster().login_conninfo("sbx_sandbox_login", "wrong-password", member(1))});
    auto status = pool_tool({"pool", "status"});
    EXPECT_NE(status.exit_code, 0) << status.all();
    EXPECT_NE(status.all().find("member 5 (" + member(1) + "): unreachable: could not reclaim it"), std::string::npos)
        << status.all();
    EXPECT_EQ(status.all().find("wrong-password"), std::string::npos) << status.all();
}

}  // namespace
}  // namespace sandboxctl::test
