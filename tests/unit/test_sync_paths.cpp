// The path-safety rules of sync-files and its plan, without running a sync.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/temp_dir.hpp"
#include "sync/location.hpp"
#include "sync/path_safety.hpp"
#include "sync/sync_files.hpp"

namespace sandboxctl::sync {
namespace {

namespace fs = std::filesystem;

TEST(SyncPaths, SafeRelativeStaysInside) {
    for (const char* good : {"a", "a/b", "a/b.c/..d", "...", "a b/ü"}) EXPECT_TRUE(safe_relative(good)) << good;
    for (const char* bad : {"", "/a", "..", "a/..", "../a", "a/../b", "a//b", "a/", "./a", "a/./b"}) {
        EXPECT_FALSE(safe_relative(bad)) << bad;
    }
}

TEST(SyncPaths, SafeLinkTargetStaysInside) {
    EXPECT_TRUE(safe_link_target("link", "file"));
    EXPECT_TRUE(safe_link_target("dir/link", "../file"));
    EXPECT_TRUE(safe_link_target("dir/link", "./x/../../file"));
    EXPECT_FALSE(safe_link_target("link", "../file"));
    EXPECT_FALSE(safe_link_target("dir/link", "../../file"));
    EXPECT_FALSE(safe_link_target("dir/link", "x/../../../file"));
    EXPECT_FALSE(safe_link_target("link", "/etc/passwd"));
    EXPECT_FALSE(safe_link_target("link", ""));
}

TEST(SyncPaths, TreesOverlapComparesWholeNormalizedComponents) {
    EXPECT_EQ(trees_overlap("/d", "/d"), Overlap::same);
    EXPECT_EQ(trees_overlap("/d/", "/d/./"), Overlap::same);
    EXPECT_EQ(trees_overlap("/d/x/../sub", "/d//sub/"), Overlap::same);
    EXPECT_EQ(trees_overlap("/d/sub", "/d"), Overlap::source_inside_destination);
    EXPECT_EQ(trees_overlap("/d/sub/", "/d/x/.."), Overlap::source_inside_destination);
    EXPECT_EQ(trees_overlap("/d", "/d/sub/inner"), Overlap::destination_inside_source);
    EXPECT_EQ(trees_overlap("/", "/srv"), Overlap::destination_inside_source);
    EXPECT_EQ(trees_overlap("/d/sub", "/d/subway"), Overlap::apart);
    EXPECT_EQ(trees_overlap("/d/a", "/d/b"), Overlap::apart);
    EXPECT_EQ(trees_overlap("docs", "docs/copy"), Overlap::destination_inside_source);
    EXPECT_EQ(trees_overlap(".", "docs"), Overlap::destination_inside_source);
    EXPECT_EQ(trees_overlap("docs", "/home/me/docs"), Overlap::unknown);
}

TEST(SyncPaths, ResolveLocalFollowsSymlinksOfTheExistingPart) {
    TempDir dir;
    fs::path root = fs::canonical(dir.path());
    fs::create_directories(root / "d/sub");
    fs::create_directory_symlink(root / "d", root / "alias");
    fs::create_directory_symlink("d/sub", root / "sub-alias");
    EXPECT_EQ(resolve_local(root / "alias"), root / "d");
    EXPECT_EQ(resolve_local(root / "alias/sub/"), root / "d/sub");
    EXPECT_EQ(resolve_local(root / "sub-alias/new/deeper"), root / "d/sub/new/deeper");
    EXPECT_EQ(resolve_local(root / "alias/missing/../sub"), root / "d/sub");
    EXPECT_EQ(resolve_local(root / "sub-alias/.."), root / "d") << "\"..\" after a symlink leaves its target";
    auto previous = fs::current_path();
    fs::current_path(root);
    EXPECT_EQ(resolve_local("sub-alias"), root / "d/sub");
    EXPECT_EQ(resolve_local("./d/../alias/"), root / "d");
    EXPECT_EQ(resolve_local("new/"), root / "new");
    EXPECT_EQ(resolve_local("/"), fs::path("/"));
    fs::current_path(previous);
}

Location at(const char* text) { return parse_location(text, "--from"); }

TEST(SyncPaths, LocationsOnTheSameSideAreCompared) {
    ::setenv("SANDBOXCTL_SSH_COMMAND", "ssh -c aes128-ctr", 1);  // no cipher probe
    EXPECT_EQ(locations_overlap(at("kubectl://erp/erp-0/app::/docs"), at("kubectl://erp/erp-0::/docs/x")),
              Overlap::destination_inside_source)
        << "the container is not part of the side: containers may share the volume";
    EXPECT_EQ(locations_overlap(at("kubectl://erp-0/docs/x/"), at("kubectl://erp-0/docs")),
              Overlap::source_inside_destination);
    EXPECT_EQ(locations_overlap(at("kubectl://erp/erp-0::/docs"), at("kubectl://erp/erp-1::/docs")), Overlap::apart);
    EXPECT_EQ(locations_overlap(at("kubectl://erp/erp-0::/docs"), at("kubectl://other/erp-0::/docs")), Overlap::apart);
    // No namespace means the context's, which the string does not tell.
    EXPECT_EQ(locations_overlap(at("kubectl://erp-0/docs"), at("kubectl://erp/erp-0::/docs")), Overlap::apart);
    EXPECT_EQ(locations_overlap(at("ssh://deploy@Files.example/srv"), at("ssh://root@files.example:22/srv/./")),
              Overlap::same);
    EXPECT_EQ(locations_overlap(at("ssh://files.example/srv"), at("ssh://files.example:2222/srv")), Overlap::apart);
    EXPECT_EQ(locations_overlap(at("ssh://files.example/srv"), at("ssh://other.example/srv")), Overlap::apart);
    EXPECT_EQ(
        locations_overlap(at("exec:docker exec -i app sh -c::/srv"), at("exec:docker  exec -i app sh -c::/srv/a")),
        Overlap::destination_inside_source);
    EXPECT_EQ(locations_overlap(at("exec:docker exec -i app sh -c::/srv"), at("exec:docker exec -i web sh -c::/srv")),
              Overlap::apart);
    EXPECT_EQ(locations_overlap(at("kubectl://erp-0/srv"), at("exec:kubectl exec -i erp-0 -- sh -c::/srv")),
              Overlap::apart)
        << "two transports to one pod cannot be told apart from the strings";
    EXPECT_EQ(locations_overlap(at("/srv"), at("ssh://localhost/srv")), Overlap::apart);
    ::unsetenv("SANDBOXCTL_SSH_COMMAND");
}

TEST(SyncPaths, CheckTreesApartNamesBothTrees) {
    try {
        check_trees_apart(at("kubectl://erp/erp-0::/docs"), at("kubectl://erp/erp-0::/docs/copy"));
        FAIL() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::usage);
        EXPECT_STREQ(e.what(), "source and destination overlap: destination \"kubectl://erp/erp-0::/docs/copy\" is "
                               "inside source \"kubectl://erp/erp-0::/docs\"");
        EXPECT_NE(e.hint().find("nothing was changed"), std::string::npos) << e.hint();
    }
    EXPECT_NO_THROW(check_trees_apart(at("kubectl://erp/erp-0::/docs"), at("kubectl://erp/erp-1::/docs")));
}

TEST(SyncLocationHint, ShowsBothKubectlForms) {
    for (const char* bad : {"kubectl://pod", "gopher://x/y", "ssh://host"}) {
        try {
            parse_location(bad, "--from");
            FAIL() << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.hint(), "Use a local path, ssh://[user@]host[:port]/path, kubectl://pod/path, "
                                "kubectl://[namespace/]pod[/container]::/path or exec:COMMAND::/path.")
                << bad;
        }
    }
}

Entry file(long long size, long long mtime, unsigned mode = 0644) { return {'f', size, mtime, mode, {}, {}}; }
Entry directory(long long mtime = 1) { return {'d', 0, mtime, 0755, {}, {}}; }
Entry symlink(std::string target) { return {'l', 0, 1, 0777, std::move(target), {}}; }

TEST(SyncPlan, DryRunReportCountsWhatTheRunWouldDo) {
    Tree source = {{"a", directory()},     {"a/new", file(10, 1)},       {"a/changed", file(20, 2)},
                   {"a/same", file(5, 1)}, {"a/mode", file(5, 1, 0600)}, {"link", symlink("a/same")},
                   {"typed", file(7, 1)},  {"../evil", file(1, 1)},      {"out", symlink("../../etc")}};
    Tree existing = {{"a", directory()},     {"a/changed", file(19, 2)},
                     {"a/same", file(5, 1)}, {"a/mode", file(5, 1)},
                     {"typed", directory()}, {"typed/inner", file(1, 1)},
                     {"extra", file(3, 1)},  {".sandboxctl-partial.x", file(1, 1)}};
    auto plan = plan_sync(source, existing, false, true);
    EXPECT_EQ(plan.to_send, (std::vector<std::string>{"a/changed", "a/new", "link", "typed"}));
    EXPECT_EQ(plan.replaced, std::vector<std::string>{"typed"});
    EXPECT_EQ(plan.deleted, (std::vector<std::string>{"typed/inner", "extra"}));
    auto report = predicted_report(plan);
    EXPECT_TRUE(report.dry_run);
    EXPECT_EQ(report.files_transferred, 3);
    EXPECT_EQ(report.bytes_transferred, 37);
    EXPECT_EQ(report.symlinks_transferred, 1);
    EXPECT_EQ(report.directories_created, 0);
    EXPECT_EQ(report.unchanged, 3);           // a, a/same, a/mode
    EXPECT_EQ(report.attributes_updated, 1);  // a/mode
    EXPECT_EQ(report.refused.size(), 2u);

    auto into_empty = predicted_report(plan_sync(source, {}, false, false));
    EXPECT_EQ(into_empty.files_transferred, 5);
    EXPECT_EQ(into_empty.symlinks_transferred, 1);
    EXPECT_EQ(into_empty.directories_created, 1);
    EXPECT_TRUE(into_empty.deleted.empty());
}

}  // namespace
}  // namespace sandboxctl::sync

namespace sandboxctl::sync {
namespace {

TEST(SyncPaths, RefusalReasonNamesWhyAnEntryIsNotSynced) {
    EXPECT_EQ(refusal_reason("a/b.txt", 'f'), "");
    EXPECT_EQ(refusal_reason("a", 'd'), "");
    EXPECT_EQ(refusal_reason("dir/link", 'l', "../file"), "");
    EXPECT_EQ(refusal_reason("../a", 'f'), "path escapes the destination");
    EXPECT_EQ(refusal_reason("/etc/passwd", 'f'), "path escapes the destination");
    EXPECT_EQ(refusal_reason("../link", 'l', "x"), "path escapes the destination") << "the path is checked first";
    EXPECT_EQ(refusal_reason("link", 'l', "../x"), "symlink points outside the destination");
    EXPECT_EQ(refusal_reason("link", 'l', ""), "symlink points outside the destination");
    EXPECT_EQ(refusal_reason("dev/null", 'o'), "device, fifo or socket");
}

TEST(SyncPaths, PartialNamesAreReserved) {
    EXPECT_EQ(partial_name("/dest/a/b.txt"), std::filesystem::path("/dest/a/.sandboxctl-partial.b.txt"));
    EXPECT_EQ(partial_name("b.txt"), std::filesystem::path(".sandboxctl-partial.b.txt"));
    EXPECT_TRUE(is_partial(".sandboxctl-partial.b.txt"));
    EXPECT_TRUE(is_partial("a/.sandboxctl-partial.b.txt"));
    EXPECT_FALSE(is_partial(".sandboxctl-partial.dir/b.txt")) << "only the last component counts";
    EXPECT_FALSE(is_partial("a/x.sandboxctl-partial.b"));
}

TEST(SyncParseLocation, LocalPathsAreTakenAsGiven) {
    for (const char* path :
         {"/var/www/documents", "relative/dir", "./d", "dir with spaces", "user@host:path", "host:/srv", "C:"}) {
        auto location = parse_location(path, "--to");
        EXPECT_TRUE(location.is_local()) << path;
        EXPECT_EQ(location.path, path);
        EXPECT_EQ(location.text, path);
        EXPECT_EQ(location.command("ls"), (std::vector<std::string>{"/bin/sh", "-c", "ls"}));
    }
}

TEST(SyncParseLocation, SshFormsAreParsedWithoutResolving) {
    // Parsing reads no environment: a command set here is used only by resolve_location.
    ::setenv("SANDBOXCTL_SSH_COMMAND", "ssh -c aes128-ctr -F /etc/sandboxctl/ssh_config", 1);
    auto plain = parse_location("ssh://files.example/srv/docs", "--from");
    EXPECT_EQ(plain.kind, Location::Kind::ssh);
    EXPECT_EQ(plain.host, "files.example");
    EXPECT_EQ(plain.port, "");
    EXPECT_EQ(plain.path, "/srv/docs");
    EXPECT_EQ(plain.side, "ssh:files.example:22");
    EXPECT_TRUE(plain.shell.empty()) << "nothing resolved while parsing";
    EXPECT_THROW(plain.command("ls"), Error) << "an unresolved ssh location cannot run anything";

    auto full = parse_location("ssh://deploy@Files.Example:2222/srv", "--from");
    EXPECT_EQ(full.host, "deploy@Files.Example");
    EXPECT_EQ(full.port, "2222");
    EXPECT_EQ(full.side, "ssh:files.example:2222");
    resolve_location(full);
    EXPECT_EQ(full.command("ls"),
              (std::vector<std::string>{"ssh", "-c", "aes128-ctr", "-F", "/etc/sandboxctl/ssh_config", "-o",
                                        "BatchMode=yes", "-p", "2222", "--", "deploy@Files.Example", "sh -c 'ls'"}));
    resolve_location(full);
    EXPECT_EQ(full.command("ls").size(), 12u) << "resolving again rebuilds, it does not append";
    ::unsetenv("SANDBOXCTL_SSH_COMMAND");
}

TEST(SyncParseLocation, HostileInputsAreRefused) {
    for (const char* bad : {"", "ssh://", "ssh://host", "ssh:///path", "ssh://-oProxyCommand=touch%20x/p",
                            "ssh://user@-oProxyCommand=x/p", "ssh://host:/p", "ssh://host:22x/p", "ssh://:22/p",
                            "ssh://user@/p", "kubectl://", "kubectl://pod", "kubectl://a/b/c/d::/p", "kubectl://pod::p",
                            "exec:", "exec:::/x", "exec:sh -c::", "gopher://x/y", "file:///etc"}) {
        try {
            parse_location(bad, "--from");
            FAIL() << "accepted \"" << bad << "\"";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ExitCode::usage) << bad;
            EXPECT_NE(std::string(e.what()).find("--from"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace sandboxctl::sync
