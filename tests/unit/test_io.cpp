// The low-level I/O toolkit, the liveness rule and the errors that name
// what was being read (a listing, a manifest) instead of escaping bare.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/number.hpp"
#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "snapshot/manifest.hpp"
#include "snapshot/zstd_file.hpp"
#include "sync/tree.hpp"

namespace sandboxctl {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream out;
    out << in.rdbuf();
    return out.str();
}

void expect_error_mentions(const std::function<void()>& action, const std::string& needle) {
    try {
        action();
        FAIL() << "no error; expected one naming " << needle;
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
}

TEST(Fd, WriteAllWritesEverythingAndCloseReports) {
    TempDir dir("sandboxctl-unit");
    auto path = dir / "data";
    std::string content(3 << 20, 'x');  // larger than a pipe or a page: many writes
    content[12345] = 'y';
    Fd fd = open_fd(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    write_all(fd.get(), content, path.string());
    fsync_fd(fd.get(), path.string());
    fd.close(path.string());
    EXPECT_FALSE(fd.valid());
    EXPECT_EQ(slurp(path), content);
    EXPECT_NO_THROW(fsync_directory(dir.path()));
}

TEST(Fd, FailuresNameTheFile) {
    TempDir dir("sandboxctl-unit");
    auto path = dir / "read-only";
    write_private_file(path, "x");
    Fd fd = open_fd(path, O_RDONLY);
    expect_error_mentions([&] { write_all(fd.get(), "more", "the named file"); }, "could not write \"the named file\"");
    expect_error_mentions([&] { open_fd(dir / "missing", O_RDONLY); }, (dir / "missing").string());
    expect_error_mentions([&] { fsync_directory(dir / "missing"); }, (dir / "missing").string());
}

TEST(Fd, MovesOwnershipAndClosesOnce) {
    int pipe_fds[2];
    ASSERT_EQ(::pipe(pipe_fds), 0);
    Fd reader(pipe_fds[0]);
    {
        Fd writer(pipe_fds[1]);
        Fd moved(std::move(writer));
        EXPECT_FALSE(writer.valid());
        write_all(moved.get(), "hello", "pipe");
    }  // closed here: the reader sees the end
    char buffer[16];
    EXPECT_EQ(::read(reader.get(), buffer, sizeof buffer), 5);
    EXPECT_EQ(::read(reader.get(), buffer, sizeof buffer), 0);
}

TEST(AtomicFile, ReplacesAndLeavesNoTemporary) {
    TempDir dir("sandboxctl-unit");
    auto path = dir / "state.json";
    write_file_atomically(path, "one", "state file");
    write_file_atomically(path, "two", "state file");
    EXPECT_EQ(slurp(path), "two");
    EXPECT_FALSE(fs::exists(dir / "state.json.tmp"));
    expect_error_mentions([&] { write_file_atomically(dir / "no/such/dir/f", "x", "state file"); }, "no/such/dir");
}

TEST(ProcessAlive, OneRuleForEverySweeper) {
    EXPECT_TRUE(process_alive(::getpid()));
    EXPECT_TRUE(process_alive(1)) << "another user's process (EPERM) counts as alive";
    pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    ASSERT_GT(child, 0);
    ::waitpid(child, nullptr, 0);
    EXPECT_FALSE(process_alive(child));
    EXPECT_EQ(parse_pid("1234"), 1234);
    for (const char* bad : {"", "12a", "-1", "1234567890", " 1"}) EXPECT_EQ(parse_pid(bad), 0) << bad;
}

TEST(Number, ToIntegerTakesAllOfTheTextOrNothing) {
    EXPECT_EQ(to_integer("42"), 42);
    EXPECT_EQ(to_integer("-7"), -7);
    EXPECT_EQ(to_integer("755", 8), 0755);
    for (const char* bad : {"", "12abc", " 1", "1 ", "+1", "0x10", "99999999999999999999", "8"}) {
        EXPECT_FALSE(to_integer(bad, std::string_view(bad) == "8" ? 8 : 10)) << bad;
    }
}

TEST(Number, ConsumeIntegerTakesTheLeadingDigits) {
    std::string_view text = "30s";
    EXPECT_EQ(consume_integer(text), 30);
    EXPECT_EQ(text, "s");
    text = "7";
    EXPECT_EQ(consume_integer(text), 7);
    EXPECT_TRUE(text.empty());
    // No leading digit, a sign, or out of range: nothing taken, text unchanged.
    for (const char* bad : {"", "s30", "-3s", "+3", " 3", "99999999999999999999s"}) {
        std::string_view rest = bad;
        EXPECT_FALSE(consume_integer(rest)) << bad;
        EXPECT_EQ(rest, bad);
    }
}

TEST(SyncListing, DamagedListingNamesThePeerAndTheEntry) {
    auto location = sync::parse_location("exec:ssh files.example::/srv", "--from");
    std::vector<std::string> good = {"f", "12", "1700000000.5000000000", "644", "a.txt", ""};
    auto tree = sync::parse_listing(good, location);
    EXPECT_EQ(tree.at("a.txt").size, 12);
    EXPECT_EQ(tree.at("a.txt").mtime, 1700000000);
    EXPECT_EQ(tree.at("a.txt").mode, 0644u);
    for (std::size_t field : {1, 2, 3}) {
        auto bad = good;
        bad[field] = "12abc";
        try {
            sync::parse_listing(bad, location);
            FAIL() << field;
        } catch (const Error& e) {
            std::string message = e.what();
            EXPECT_NE(message.find("exec:ssh files.example::/srv"), std::string::npos) << message;
            EXPECT_NE(message.find("\"a.txt\""), std::string::npos) << message;
            EXPECT_NE(message.find("\"12abc\""), std::string::npos) << message;
            EXPECT_FALSE(e.hint().empty());
        }
    }
}

TEST(SnapshotManifest, CorruptOrMissingManifestNamesTheFile) {
    TempDir dir("sandboxctl-unit");
    auto manifest = dir / "manifest.json";
    for (const char* corrupt :
         {"{\"format\": ", "[]", "{\"format\": \"sandboxctl-snapshot/1\", \"name\": 3}", "not json at all"}) {
        fs::remove(manifest);
        write_private_file(manifest, corrupt);
        try {
            snapshot::load_manifest(dir.path());
            FAIL() << corrupt;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(manifest.string()), std::string::npos) << e.what();
            EXPECT_EQ(e.code(), ExitCode::failed);
        }
    }
    fs::remove(manifest);
    expect_error_mentions([&] { snapshot::load_manifest(dir.path()); }, manifest.string());
}

// A file that cannot be read is an error, not an empty table: a directory
// opens, and its first read fails (EISDIR) before any zstd frame began.
TEST(ZstdFile, ReadErrorIsNotAnEmptyFile) {
    TempDir dir("sandboxctl-unit");
    auto table = dir / "table.zst";
    {
        snapshot::ZstdWriter writer(table, 3);
        writer.write("row 1\n");
        writer.finish();
    }
    std::string rows;
    snapshot::read_zstd_file(table, [&](std::string_view data) { rows += data; });
    EXPECT_EQ(rows, "row 1\n");
    fs::create_directory(dir / "directory.zst");
    expect_error_mentions([&] { snapshot::read_zstd_file(dir / "directory.zst", [](std::string_view) {}); },
                          "could not read \"" + (dir / "directory.zst").string() + "\"");
}

}  // namespace
}  // namespace sandboxctl
