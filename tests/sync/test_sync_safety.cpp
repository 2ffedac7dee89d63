// sync-files used as a hostile or careless user would (issue 9): trees that
// contain one another, dry runs that must tell the truth, --quiet, and
// refresh --with-files without any tree to sync.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "core/temp_dir.hpp"
#include "harness/tool.hpp"
#include "harness/tree_files.hpp"

namespace sandboxctl::test {
namespace {

namespace fs = std::filesystem;

// Every entry with its type, size and content: enough to see any change.
std::map<std::string, std::string> snapshot(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        struct stat st {};
        ::lstat(it->path().c_str(), &st);
        std::string line = std::to_string(st.st_mode);
        if (S_ISREG(st.st_mode)) {
            std::ifstream in(it->path(), std::ios::binary);
            line += " " + std::string(std::istreambuf_iterator<char>(in), {});
        }
        if (S_ISLNK(st.st_mode)) line += " -> " + fs::read_symlink(it->path()).string();
        out[it->path().lexically_relative(root).string()] = line;
    }
    return out;
}

// Runs the tests below from inside their temporary directory, so relative
// paths mean what a user at a shell would mean.
class InDirectory {
public:
    explicit InDirectory(const fs::path& dir) : previous_(fs::current_path()) { fs::current_path(dir); }
    ~InDirectory() { fs::current_path(previous_); }

private:
    fs::path previous_;
};

class SyncOverlap : public ::testing::Test {
protected:
    void SetUp() override {
        write_file(root_ / "d/top.txt", "top");
        write_file(root_ / "d/sub/a.txt", "a");
        write_file(root_ / "d/sub/deeper/b.txt", "b");
        write_file(root_ / "d/other/c.txt", "c");
        fs::create_directory_symlink(root_ / "d", root_ / "alias");
        fs::create_directory_symlink("d/sub", root_ / "sub-alias");
        before_ = snapshot(root_);
    }

    // Expects a usage error that names the overlap, and no change anywhere.
    void expect_refused(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {"sync-files"};
        argv.insert(argv.end(), args.begin(), args.end());
        auto run = run_tool(argv);
        std::string shown;
        for (const auto& a : args) shown += a + " ";
        EXPECT_EQ(run.exit_code, 2) << shown << "\n" << run.all();
        EXPECT_NE(run.err.find("overlap"), std::string::npos) << shown << "\n" << run.all();
        EXPECT_EQ(snapshot(root_), before_) << shown;
    }

    TempDir dir_;
    fs::path root_ = fs::canonical(dir_.path());
    std::map<std::string, std::string> before_;
};

TEST_F(SyncOverlap, DestinationContainingTheSourceIsRefused) {
    InDirectory here(root_);
    // Issue 9: this deleted d/sub, the source itself.
    expect_refused({"--from", "d/sub", "--to", "d", "--delete"});
    expect_refused({"--from", (root_ / "d/sub").string(), "--to", (root_ / "d").string(), "--delete"});
    expect_refused({"--from", "d/sub/", "--to", "d//", "--delete"});
    expect_refused({"--from", "d/other/../sub", "--to", "./d", "--delete"});
    expect_refused({"--from", "alias/sub", "--to", "d", "--delete"});
    expect_refused({"--from", "sub-alias", "--to", "alias", "--delete"});
}

TEST_F(SyncOverlap, DestinationInsideTheSourceIsRefused) {
    InDirectory here(root_);
    // Issue 9: this nested a new copy of d inside d on every run.
    expect_refused({"--from", "d", "--to", "d/sub/inner"});
    expect_refused({"--from", "d/", "--to", "d/new/deeper/"});
    expect_refused({"--from", "d", "--to", "d/other/../sub"});
    expect_refused({"--from", "d", "--to", "alias/new"});
    expect_refused({"--from", "alias", "--to", "sub-alias/new"});
    expect_refused({"--from", "d", "--to", "alias/missing/../sub"});
}

TEST_F(SyncOverlap, EqualTreesAreRefused) {
    InDirectory here(root_);
    expect_refused({"--from", "d", "--to", "d"});
    expect_refused({"--from", "d/", "--to", "./d/."});
    expect_refused({"--from", "d", "--to", "alias", "--delete"});
    expect_refused({"--from", "d/sub", "--to", "sub-alias/"});
}

TEST_F(SyncOverlap, RemoteTreesOnTheSameSideAreRefused) {
    expect_refused({"--from", "exec:sh -c::" + (root_ / "d/sub").string(), "--to",
                    "exec:sh  -c::" + (root_ / "d").string(), "--delete"});
    expect_refused(
        {"--from", "exec:sh -c::" + (root_ / "d").string(), "--to", "exec:sh -c::" + (root_ / "d/x/").string()});
    // Decided from the location strings alone, before kubectl or ssh runs.
    expect_refused({"--from", "kubectl://erp/erp-0/dolibarr::/var/www/documents", "--to",
                    "kubectl://erp/erp-0::/var/www/documents/copy"});
    expect_refused({"--from", "kubectl://erp-0/var/www/", "--to", "kubectl://erp-0/var/www/documents"});
    expect_refused(
        {"--from", "ssh://deploy@files.example/srv/docs", "--to", "ssh://root@files.example/srv/docs/../docs/"});
}

TEST_F(SyncOverlap, SiblingsWithACommonPrefixAreNotAnOverlap) {
    InDirectory here(root_);
    auto run = run_tool({"sync-files", "--from", "d/sub", "--to", "d/subway"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_TRUE(fs::exists(root_ / "d/subway/deeper/b.txt"));
}

TEST_F(SyncOverlap, ConfiguredPairsAreCheckedBeforeAnyIsSynced) {
    write_file(root_ / "good/file.txt", "good");
    write_file(root_ / "sandboxctl.toml",
               "[files]\ndelete = true\n"
               "[[files.pair]]\nfrom = \"" +
                   (root_ / "good").string() + "\"\nto = \"" + (root_ / "good-copy").string() +
                   "\"\n"
                   "[[files.pair]]\nfrom = \"" +
                   (root_ / "d/sub").string() + "\"\nto = \"" + (root_ / "alias").string() + "\"\n");
    auto run = run_tool({"-c", (root_ / "sandboxctl.toml").string(), "sync-files"});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("overlap"), std::string::npos) << run.all();
    EXPECT_FALSE(fs::exists(root_ / "good-copy")) << "no pair is synced when one of them is refused";
    fs::remove(root_ / "sandboxctl.toml");
    fs::remove_all(root_ / "good");
    EXPECT_EQ(snapshot(root_), before_);
}

// refresh --with-files checks its trees before it connects to anything: the
// connection strings below lead nowhere.
TEST(RefreshWithFiles, OverlappingPairIsAUsageErrorBeforeConnecting) {
    TempDir dir;
    write_file(dir / "d/sub/a.txt", "a");
    write_file(dir / "sandboxctl.toml",
               "[[files.pair]]\nfrom = \"" + (dir / "d/sub").string() + "\"\nto = \"" + (dir / "d").string() + "\"\n");
    auto run = run_tool({"-c", (dir / "sandboxctl.toml").string(), "refresh", "--with-files", "--source",
                         "host=/nonexistent dbname=prod", "--target", "host=/nonexistent dbname=sandbox"});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("overlap"), std::string::npos) << run.all();
}

TEST(RefreshWithFiles, NoConfiguredPairIsAUsageErrorBeforeConnecting) {
    TempDir dir;
    write_file(dir / "sandboxctl.toml", "[files]\ndelete = true\n");
    auto run = run_tool({"-c", (dir / "sandboxctl.toml").string(), "refresh", "--with-files", "--source",
                         "host=/nonexistent dbname=prod", "--target", "host=/nonexistent dbname=sandbox"});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("error: refresh --with-files: no [[files.pair]] in the configuration"), std::string::npos)
        << run.all();
    EXPECT_NE(run.err.find("HINT: Add a [[files.pair]] table"), std::string::npos) << run.all();
    // Without a config file at all, the same.
    auto bare = run_tool({"refresh", "--with-files", "--source", "host=/nonexistent dbname=prod", "--target",
                          "host=/nonexistent dbname=sandbox"},
                         {{"SANDBOXCTL_CONFIG", ""}});
    EXPECT_EQ(bare.exit_code, 2) << bare.all();
}

// Local, or both sides behind the exec: transport.
class SyncDryRun : public ::testing::TestWithParam<bool> {
protected:
    std::string at(const fs::path& path) { return GetParam() ? via_exec(path) : path.string(); }

    nlohmann::json run_json(std::vector<std::string> extra) {
        std::vector<std::string> args = {"sync-files", "--from", at(source_), "--to", at(dest_), "--json", "-"};
        args.insert(args.end(), extra.begin(), extra.end());
        auto run = run_tool(args);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        last_text_ = run.err;
        return nlohmann::json::parse(run.out);
    }

    // The counts a real run reports, dry_run flag aside.
    static nlohmann::json counts(nlohmann::json report) {
        report.erase("dry_run");
        return report;
    }

    TempDir dir_;
    fs::path source_ = dir_ / "source";
    fs::path dest_ = dir_ / "dest";
    std::string last_text_;
};

TEST_P(SyncDryRun, CountsWhatTheRealRunThenDoes) {
    // Issue 9: into an empty directory the dry run said "0 files", the real
    // run then transferred 6 files and a symlink.
    for (int i = 0; i < 6; ++i)
        write_file(source_ / ("dir" + std::to_string(i % 2)) / ("f" + std::to_string(i)), "data" + std::to_string(i));
    fs::create_symlink("dir0/f0", source_ / "link");
    fs::create_directories(dest_);

    auto predicted = run_json({"--dry-run"});
    EXPECT_TRUE(predicted["dry_run"].get<bool>());
    EXPECT_EQ(predicted["files_transferred"], 6) << predicted.dump();
    EXPECT_EQ(predicted["symlinks_transferred"], 1) << predicted.dump();
    EXPECT_NE(last_text_.find("dry run: would transfer 6 files"), std::string::npos) << last_text_;
    EXPECT_TRUE(fs::is_empty(dest_)) << "a dry run changes nothing";
    auto done = run_json({});
    EXPECT_FALSE(done["dry_run"].get<bool>());
    EXPECT_EQ(counts(predicted), counts(done)) << "dry run:  " << predicted.dump() << "\nreal run: " << done.dump();

    // Changes, additions, removals and a type change, mirrored with --delete.
    write_file(source_ / "dir0/f0", "changed, longer");
    write_file(source_ / "dir2/new", "new");
    fs::remove(source_ / "dir1/f1");
    fs::remove(source_ / "link");
    write_file(source_ / "link", "now a file");
    ::chmod((source_ / "dir1/f3").c_str(), 0600);
    write_file(dest_ / "extra/old.txt", "only in the destination");
    auto before = snapshot(dest_);
    predicted = run_json({"--dry-run", "--delete"});
    EXPECT_EQ(snapshot(dest_), before) << "a dry run changes nothing";
    EXPECT_NE(last_text_.find("would delete extra/old.txt"), std::string::npos) << last_text_;
    done = run_json({"--delete"});
    EXPECT_EQ(counts(predicted), counts(done)) << "dry run:  " << predicted.dump() << "\nreal run: " << done.dump();

    // Nothing left to do: both say so.
    predicted = run_json({"--dry-run", "--delete"});
    done = run_json({"--delete"});
    EXPECT_EQ(counts(predicted), counts(done));
    EXPECT_EQ(done["files_transferred"], 0);
}

INSTANTIATE_TEST_SUITE_P(Transports, SyncDryRun, ::testing::Values(false, true),
                         [](const auto& test) { return test.param ? "exec" : "local"; });

TEST(SyncQuiet, QuietPrintsNothingOnSuccess) {
    TempDir dir;
    write_file(dir / "source/a.txt", "a");
    auto run = run_tool({"-q", "sync-files", "--from", (dir / "source").string(), "--to", (dir / "dest").string()});
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(run.all(), "");
    EXPECT_TRUE(fs::exists(dir / "dest/a.txt"));
    auto dry = run_tool(
        {"-q", "sync-files", "--dry-run", "--from", (dir / "source").string(), "--to", (dir / "dest2").string()});
    EXPECT_EQ(dry.exit_code, 0) << dry.all();
    EXPECT_EQ(dry.all(), "");
    // Errors still show.
    auto missing =
        run_tool({"-q", "sync-files", "--from", (dir / "missing").string(), "--to", (dir / "dest").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("error: could not read source"), std::string::npos) << missing.all();
}

TEST(SyncHelp, SaysRemoteDestinationsWork) {
    auto run = run_tool({"sync-files", "--help"});
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(run.out.find("must be local"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("Either side may be remote"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("contain one another"), std::string::npos) << run.out;
}

TEST(SyncHints, KubectlHintShowsBothForms) {
    auto run = run_tool({"sync-files", "--from", "kubectl://pod", "--to", "dest"});
    EXPECT_EQ(run.exit_code, 2) << run.all();
    EXPECT_NE(run.err.find("HINT: Use a local path, ssh://[user@]host[:port]/path, kubectl://pod/path, "
                           "kubectl://[namespace/]pod[/container]::/path or exec:COMMAND::/path."),
              std::string::npos)
        << run.all();
}

}  // namespace
}  // namespace sandboxctl::test
