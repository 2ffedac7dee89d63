#include <gtest/gtest.h>

#include <fstream>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "core/temp_dir.hpp"

using sandboxctl::config::load_file;
using sandboxctl::config::Settings;

namespace {

std::filesystem::path write(const sandboxctl::TempDir& dir, const std::string& text) {
    auto path = dir / "sandboxctl.toml";
    std::ofstream(path) << text;
    return path;
}

std::string error_of(const std::filesystem::path& path) {
    Settings s;
    try {
        load_file(path, s);
    } catch (const sandboxctl::Error& e) {
        EXPECT_EQ(e.code(), sandboxctl::ExitCode::usage);
        return e.what();
    }
    return "no error";
}

}  // namespace

TEST(Config, ReadsEverySection) {
    sandboxctl::TempDir dir;
    auto path = write(dir, R"(
state_dir = "/var/lib/sandboxctl"
[source]
conninfo = "host=db dbname=erp user=dump"
role = "erp_role"
[target]
conninfo = "host=db dbname=erp-sandbox user=sandbox"
[refresh]
exclude = ["public.audit_*"]
exclude_data = ["llx_events"]
post_sql = ["regen.sql", "/abs/other.sql"]
lock_timeout = "5s"
[hooks]
before = "kubectl scale deploy/erp --replicas=0"
)");
    Settings s;
    load_file(path, s);
    EXPECT_EQ(s.source, "host=db dbname=erp user=dump");
    EXPECT_EQ(s.source_role, "erp_role");
    EXPECT_FALSE(s.target_role);
    EXPECT_EQ(s.exclude, std::vector<std::string>{"public.audit_*"});
    ASSERT_EQ(s.post_sql.size(), 2u);
    EXPECT_EQ(s.post_sql[0], dir.path() / "regen.sql");
    EXPECT_EQ(s.post_sql[1], "/abs/other.sql");
    EXPECT_EQ(s.lock_timeout, std::chrono::seconds(5));
    EXPECT_EQ(s.hook_before, "kubectl scale deploy/erp --replicas=0");
    EXPECT_EQ(s.state_dir, "/var/lib/sandboxctl");
}

TEST(Config, FilePairs) {
    sandboxctl::TempDir dir;
    auto path =
        write(dir, "[files]\ndelete = true\nchown = \"33:33\"\n[[files.pair]]\nfrom = \"kubectl://erp-0/docs\"\n"
                   "to = \"/srv/docs\"\n[[files.pair]]\nfrom = \"a\"\nto = \"b\"\n");
    Settings s;
    load_file(path, s);
    ASSERT_EQ(s.file_pairs.size(), 2u);
    EXPECT_EQ(s.file_pairs[0].from, "kubectl://erp-0/docs");
    EXPECT_EQ(s.file_pairs[1].to, "b");
    EXPECT_TRUE(s.files_delete);
    EXPECT_EQ(s.files_chown, "33:33");
    std::filesystem::remove(path);
    EXPECT_NE(error_of(write(dir, "[[files.pair]]\nfrom = \"a\"\nto = \"b\"\nextra = 1\n"))
                  .find("unknown configuration key \"files.pair.extra\""),
              std::string::npos);
    std::filesystem::remove(path);
    EXPECT_NE(error_of(write(dir, "[files]\n[[files.pair]]\nfrom = \"a\"\n")).find("needs both from and to"),
              std::string::npos);
}

TEST(Config, UnknownKeysAreErrorsWithTheirPlace) {
    sandboxctl::TempDir dir;
    auto path = write(dir, "[source]\nconninfo = \"x\"\nrol = \"typo\"\n");
    EXPECT_EQ(error_of(path), path.string() + ":3:1: unknown configuration key \"source.rol\"");
}

TEST(Config, MalformedTomlNamesFileLineAndColumn) {
    sandboxctl::TempDir dir;
    auto path = write(dir, "[source]\nconninfo = \"unterminated\n");
    std::string message = error_of(path);
    EXPECT_EQ(message.rfind(path.string() + ":2:", 0), 0u) << message;
    EXPECT_NE(message.find("invalid TOML"), std::string::npos) << message;
}

TEST(Config, WrongTypesAreErrors) {
    sandboxctl::TempDir dir;
    EXPECT_NE(error_of(write(dir, "[refresh]\nexclude = \"not-a-list\"\n")).find("must be an array of strings"),
              std::string::npos);
    std::filesystem::remove(dir / "sandboxctl.toml");
    EXPECT_NE(error_of(write(dir, "[refresh]\nlock_timeout = \"soon\"\n")).find("invalid duration"), std::string::npos);
}

TEST(Config, MissingFileIsAUsageError) {
    EXPECT_NE(error_of("/nonexistent/sandboxctl.toml").find("could not read configuration file"), std::string::npos);
}

// Issue 9: `-c DIRECTORY` was silently ignored, and duration errors in the
// file lacked its file:line:column.
TEST(Config, ADirectoryIsNotAConfigFile) {
    sandboxctl::TempDir dir;
    EXPECT_NE(error_of(dir.path()).find("configuration file \"" + dir.path().string() + "\" is a directory"),
              std::string::npos);
}

TEST(Config, DurationErrorsNameFileLineAndColumn) {
    sandboxctl::TempDir dir;
    auto path = write(dir, "[refresh]\nlock_timeout = \"5 parsecs\"\n");
    auto error = error_of(path);
    EXPECT_TRUE(error.starts_with(path.string() + ":2:")) << error;
    EXPECT_NE(error.find("refresh.lock_timeout"), std::string::npos) << error;
}
