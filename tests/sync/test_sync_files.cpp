// sync-files against real trees, through the local and the exec: transports
// (sh -c standing in for a remote shell), compared by a content manifest.
#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>

#include "core/checksum.hpp"
#include "core/error.hpp"
#include "core/temp_dir.hpp"
#include "harness/prerequisite.hpp"
#include "harness/sshd.hpp"
#include "harness/tool.hpp"
#include "harness/tree_files.hpp"
#include "sync/location.hpp"

namespace sandboxctl::test {
namespace {

namespace fs = std::filesystem;

// type, permission bits, size, mtime, symlink target and SHA-256 of every entry.
std::map<std::string, std::string> manifest(const fs::path& root) {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        struct stat st {};
        ::lstat(it->path().c_str(), &st);
        std::string line = std::to_string(st.st_mode) + " ";
        if (S_ISREG(st.st_mode))
            line +=
                std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) + " " + sha256_of_file(it->path());
        if (S_ISLNK(st.st_mode)) line += fs::read_symlink(it->path()).string();
        out[it->path().lexically_relative(root).string()] = line;
    }
    return out;
}

void make_tree(const fs::path& root, int small_files) {
    write_file(root / "mycompany/logos/logo.png", std::string(5000, '\x89'));
    write_file(root / "mycompany/with space/ünïcødé näme.pdf", "pdf content", 0600);
    write_file(root / "facture/FA2401-0001/FA2401-0001.pdf", "invoice", 0640);
    write_file(root / "script.sh", "#!/bin/sh\necho hi\n", 0755);
    fs::create_directories(root / "empty/dir");
    fs::create_symlink("logos/logo.png", root / "mycompany/current-logo");
    fs::create_symlink("../facture", root / "mycompany/invoices");
    for (int i = 0; i < small_files; ++i)
        write_file(root / "many" / std::to_string(i % 50) / ("f" + std::to_string(i)), std::to_string(i));
}

ToolRun sync(const std::string& from, const fs::path& to, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"sync-files", "--from", from, "--to", to.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_tool(args);
}

// Local source and destination, or both behind the exec: transport.
class SyncFiles : public ::testing::TestWithParam<bool> {
protected:
    std::string source_location() { return GetParam() ? via_exec(source_) : source_.string(); }
    ToolRun sync(const std::string& from, const fs::path& to, std::vector<std::string> extra = {}) {
        return test::sync(from, GetParam() ? fs::path(via_exec(to)) : to, extra);
    }
    TempDir dir_;
    fs::path source_ = dir_ / "source";
    fs::path dest_ = dir_ / "dest";
};

TEST_P(SyncFiles, CopiesTheTreeExactlyThenOnlyWhatChanged) {
    make_tree(source_, 10000);
    auto first = sync(source_location(), dest_, {"--json", "-"});
    ASSERT_EQ(first.exit_code, 0) << first.all();
    EXPECT_EQ(manifest(source_), manifest(dest_));
    EXPECT_NE(first.out.find("\"files_transferred\": 10004"), std::string::npos) << first.out;

    auto idle = sync(source_location(), dest_, {"--json", "-"});
    ASSERT_EQ(idle.exit_code, 0) << idle.all();
    EXPECT_NE(idle.out.find("\"files_transferred\": 0"), std::string::npos) << idle.out;

    // Change, add, delete, rename on the source.
    write_file(source_ / "facture/FA2401-0001/FA2401-0001.pdf", "invoice, corrected", 0640);
    write_file(source_ / "facture/FA2401-0002/FA2401-0002.pdf", "second invoice");
    fs::remove(source_ / "many/3/f3");
    fs::rename(source_ / "script.sh", source_ / "renamed.sh");
    ::chmod((source_ / "mycompany/logos/logo.png").c_str(), 0600);
    auto keep = sync(source_location(), dest_, {"--json", "-"});
    ASSERT_EQ(keep.exit_code, 0) << keep.all();
    EXPECT_NE(keep.out.find("\"files_transferred\": 3"), std::string::npos) << keep.out;
    EXPECT_TRUE(fs::exists(dest_ / "many/3/f3")) << "--delete off keeps extras";
    EXPECT_TRUE(fs::exists(dest_ / "script.sh"));

    auto mirror = sync(source_location(), dest_, {"--delete"});
    ASSERT_EQ(mirror.exit_code, 0) << mirror.all();
    EXPECT_EQ(manifest(source_), manifest(dest_));
}

TEST_P(SyncFiles, ChecksumFindsChangesThatKeepSizeAndMtime) {
    make_tree(source_, 10);
    ASSERT_EQ(sync(source_location(), dest_).exit_code, 0);
    auto before = fs::last_write_time(source_ / "mycompany/logos/logo.png");
    write_file(source_ / "mycompany/logos/logo.png", std::string(5000, 'X'));
    fs::last_write_time(source_ / "mycompany/logos/logo.png", before);
    EXPECT_EQ(sync(source_location(), dest_).exit_code, 0);
    EXPECT_NE(manifest(source_), manifest(dest_)) << "size and mtime alone cannot see this change";
    ASSERT_EQ(sync(source_location(), dest_, {"--checksum"}).exit_code, 0);
    EXPECT_EQ(manifest(source_), manifest(dest_));
}

TEST_P(SyncFiles, DryRunChangesNothing) {
    make_tree(source_, 10);
    auto run = sync(source_location(), dest_, {"--dry-run"});
    EXPECT_EQ(run.exit_code, 0) << run.all();
    EXPECT_NE(run.out.find("dry run: would transfer 14 files"), std::string::npos) << run.out;
    EXPECT_FALSE(fs::exists(dest_ / "mycompany"));
}

INSTANTIATE_TEST_SUITE_P(Transports, SyncFiles, ::testing::Values(false, true),
                         [](const auto& test) { return test.param ? "exec" : "local"; });

TEST_P(SyncFiles, ChownGivesTransferredEntriesTheOwner) {
    if (::geteuid() != 0) MISSING_PREREQUISITE() << "--chown to another user needs root";
    make_tree(source_, 5);
    auto run = sync(source_location(), dest_, {"--chown", "4321:4322"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    struct stat st {};
    ASSERT_EQ(::lstat((dest_ / "mycompany/logos/logo.png").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(st.st_gid, 4322u);
    ASSERT_EQ(::lstat((dest_ / "mycompany/current-logo").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(run_tool({"sync-files", "--from", "a", "--to", "b", "--chown", "me"}).exit_code, 2);
}

TEST(SyncFilesLarge, OneGigabyteFileIsCopiedExactly) {
    TempDir dir;
    fs::create_directories(dir / "source");
    {
        std::ofstream out(dir / "source/big.bin", std::ios::binary);
        std::string block(1 << 20, '\0');
        for (int i = 0; i < 1024; ++i) {
            for (std::size_t j = 0; j < block.size(); j += 64) block[j] = static_cast<char>(i + j / 64 + 1);
            out.write(block.data(), static_cast<std::streamsize>(block.size()));
        }
    }
    auto run = sync(via_exec(dir / "source"), dir / "dest");
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(sha256_of_file(dir / "source/big.bin"), sha256_of_file(dir / "dest/big.bin"));
}

TEST(SyncFilesInterrupted, KilledMidStreamLeavesNoPartialFileUnderAFinalName) {
    TempDir dir;
    fs::create_directories(dir / "source");
    {
        std::ofstream out(dir / "source/big.bin", std::ios::binary);
        std::string block(1 << 20, 'b');
        for (int i = 0; i < 400; ++i) out.write(block.data(), static_cast<std::streamsize>(block.size()));
    }
    BackgroundTool tool({"sync-files", "--from", via_exec(dir / "source"), "--to", (dir / "dest").string()});
    bool partial_seen = wait_until([&] { return fs::exists(dir / "dest/.sandboxctl-partial.big.bin"); }, 30);
    tool.send(SIGKILL);
    tool.finish();
    ASSERT_TRUE(partial_seen);
    EXPECT_FALSE(fs::exists(dir / "dest/big.bin"));
    auto rerun = sync(via_exec(dir / "source"), dir / "dest");
    ASSERT_EQ(rerun.exit_code, 0) << rerun.all();
    EXPECT_FALSE(fs::exists(dir / "dest/.sandboxctl-partial.big.bin"));
    EXPECT_EQ(sha256_of_file(dir / "source/big.bin"), sha256_of_file(dir / "dest/big.bin"));
}

// A remote that answers the listing honestly but sends a hostile archive.
TEST(SyncFilesHostile, EscapingEntriesAreRefusedAndNothingIsWrittenOutside) {
    TempDir dir;
    write_file(dir / "source/innocent.txt", "fine");
    {
        std::unique_ptr<archive, int (*)(archive*)> out(archive_write_new(), archive_write_free);
        archive_write_set_format_pax_restricted(out.get());
        archive_write_open_filename(out.get(), (dir / "evil.tar").c_str());
        auto add = [&](const char* name, mode_t type, const char* link, const std::string& data) {
            archive_entry* e = archive_entry_new();
            archive_entry_set_pathname(e, name);
            archive_entry_set_filetype(e, type);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, static_cast<la_int64_t>(data.size()));
            if (link) archive_entry_set_symlink(e, link);
            archive_write_header(out.get(), e);
            if (!data.empty()) archive_write_data(out.get(), data.data(), data.size());
            archive_entry_free(e);
        };
        add("../escaped.txt", AE_IFREG, nullptr, "escape");
        add((dir / "absolute.txt").c_str(), AE_IFREG, nullptr, "absolute");
        add("sub/../../up.txt", AE_IFREG, nullptr, "up");
        add("outside-link", AE_IFLNK, "../../etc", "");
        add("device", AE_IFCHR, nullptr, "");
        add("innocent.txt", AE_IFREG, nullptr, "fine");
    }
    // Runs the session script as sent, except that the archive it streams is the hostile one.
    write_file(dir / "evil-shell",
               "#!/bin/sh\nscript=$(printf '%s' \"$1\" | sed 's|exec tar cf .*|exec cat " +
                   (dir / "evil.tar").string() + "|')\nexec sh -c \"$script\"\n",
               0755);
    auto run = sync("exec:" + (dir / "evil-shell").string() + "::" + (dir / "source").string(), dir / "dest/inner");
    EXPECT_EQ(run.exit_code, 1) << run.all();
    for (const char* expected :
         {"refused ../escaped.txt: path escapes the destination",
          "refused sub/../../up.txt: path escapes the destination",
          "refused outside-link: symlink points outside the destination", "refused device: device, fifo or socket"}) {
        EXPECT_NE(run.all().find(expected), std::string::npos) << expected << "\n" << run.all();
    }
    EXPECT_FALSE(fs::exists(dir / "dest/escaped.txt"));
    EXPECT_FALSE(fs::exists(dir / "up.txt"));
    EXPECT_FALSE(fs::exists(dir / "dest/inner/outside-link"));
    EXPECT_FALSE(fs::exists(dir / "dest/inner/device"));
    EXPECT_EQ(manifest(dir / "dest/inner").count("innocent.txt"), 1u);
}

TEST(SyncLocations, ParseEveryForm) {
    ::unsetenv("SANDBOXCTL_SSH_COMMAND");
    auto ssh = sync::parse_location("ssh://deploy@files.example:2222/var/www/documents", "--from");
    EXPECT_EQ(ssh.path, "/var/www/documents");
    sync::resolve_location(ssh);
    // AES-GCM first where the CPU has AES instructions (Debian 12's ssh knows "^").
    std::vector<std::string> expected = {"ssh", "-o", "BatchMode=yes"};
    if (__builtin_cpu_supports("aes")) {
        expected.insert(expected.end(), {"-o", "Ciphers=^aes128-gcm@openssh.com,aes256-gcm@openssh.com"});
    }
    expected.insert(expected.end(), {"-p", "2222", "--", "deploy@files.example", "sh -c 'ls'"});
    EXPECT_EQ(ssh.command("ls"), expected);
    // A user who picks ciphers keeps them.
    ::setenv("SANDBOXCTL_SSH_COMMAND", "ssh -c aes128-ctr", 1);
    auto chosen = sync::parse_location("ssh://h/p", "--from");
    sync::resolve_location(chosen);
    EXPECT_EQ(chosen.command("ls"),
              (std::vector<std::string>{"ssh", "-c", "aes128-ctr", "-o", "BatchMode=yes", "--", "h", "sh -c 'ls'"}));
    ::unsetenv("SANDBOXCTL_SSH_COMMAND");
    auto pod = sync::parse_location("kubectl://erp/erp-0/dolibarr::/var/www/documents", "--from");
    EXPECT_EQ(pod.command("ls"), (std::vector<std::string>{"kubectl", "exec", "-i", "-n", "erp", "erp-0", "-c",
                                                           "dolibarr", "--", "sh", "-c", "ls"}));
    auto short_pod = sync::parse_location("kubectl://erp-0/var/www", "--from");
    EXPECT_EQ(short_pod.path, "/var/www");
    auto exec = sync::parse_location("exec:docker exec -i app sh -c::/srv/docs", "--from");
    EXPECT_EQ(exec.command("ls"), (std::vector<std::string>{"docker", "exec", "-i", "app", "sh", "-c", "ls"}));
    EXPECT_EQ(sync::shell_quote("it's"), "'it'\\''s'");
    for (const char* bad : {"", "ssh://host", "exec:::/x", "kubectl://pod"}) {
        EXPECT_THROW(sync::parse_location(bad, "--from"), Error) << bad;
    }
}

}  // namespace
}  // namespace sandboxctl::test

namespace sandboxctl::test {
namespace {

// ssh both ways against a real sshd on loopback. Skipped, saying so, when
// OpenSSH cannot be started, except under CI (which installs it).
TEST(SyncFilesSsh, CopiesBothWaysOverSsh) {
    std::unique_ptr<Sshd> sshd;
    try {
        sshd = std::make_unique<Sshd>();
    } catch (const std::exception& e) {
        MISSING_PREREQUISITE() << "no sshd: " << e.what();
    }
    TempDir dir;
    make_tree(dir / "source", 200);
    std::vector<std::pair<std::string, std::string>> env = {{"SANDBOXCTL_SSH_COMMAND", sshd->ssh_command()}};
    auto pull =
        run_tool({"sync-files", "--from", sshd->location(dir / "source"), "--to", (dir / "pulled").string()}, env);
    ASSERT_EQ(pull.exit_code, 0) << pull.all();
    EXPECT_EQ(manifest(dir / "source"), manifest(dir / "pulled"));
    auto push =
        run_tool({"sync-files", "--from", (dir / "source").string(), "--to", sshd->location(dir / "pushed")}, env);
    ASSERT_EQ(push.exit_code, 0) << push.all();
    EXPECT_EQ(manifest(dir / "source"), manifest(dir / "pushed"));
    write_file(dir / "source/mycompany/logos/logo.png", "new logo");
    auto again = run_tool(
        {"sync-files", "--from", sshd->location(dir / "source"), "--to", (dir / "pulled").string(), "--json", "-"},
        env);
    ASSERT_EQ(again.exit_code, 0) << again.all();
    EXPECT_NE(again.out.find("\"files_transferred\": 1"), std::string::npos) << again.out;
    EXPECT_EQ(manifest(dir / "source"), manifest(dir / "pulled"));
}

}  // namespace
}  // namespace sandboxctl::test
