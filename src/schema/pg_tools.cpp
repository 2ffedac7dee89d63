#include "schema/pg_tools.hpp"

#include <regex>

#include "core/error.hpp"
#include "core/number.hpp"
#include "core/process.hpp"

namespace sandboxctl::schema {
namespace {

// A .pgpass line matching any host, port, database and user; ':' and '\'
// in the password are escaped as the passfile format requires.
std::string passfile_line(const std::string& password) {
    std::string escaped;
    for (char c : password) {
        if (c == ':' || c == '\\') escaped += '\\';
        escaped += c;
    }
    return "*:*:*:*:" + escaped + "\n";
}

}  // namespace

PgTools::PgTools(std::string bin_dir) : bin_dir_(std::move(bin_dir)) {}

std::string PgTools::program(const char* name) const {
    return bin_dir_.empty() ? std::string(name) : (std::filesystem::path(bin_dir_) / name).string();
}

ProcessSpec PgTools::with_credentials(std::vector<std::string> argv, const pg::ConnInfo& info,
                                      std::optional<MemoryFile>& passfile) const {
    ProcessSpec spec{std::move(argv), {}, {}};
    if (!info.password()) return spec;
    passfile.emplace("sandboxctl-pgpass", passfile_line(*info.password()));
    spec.environment.emplace_back("PGPASSFILE", passfile->path_in_child());
    spec.inherited_fds.push_back(passfile->fd());
    // libpq reads PGPASSWORD before the passfile: one the user's shell
    // exported for something else would win over the connection's own.
    spec.removed_environment.emplace_back("PGPASSWORD");
    return spec;
}

int PgTools::pg_dump_major_version() const {
    auto result = run_checked({{program("pg_dump"), "--version"}, {}});
    static const std::regex version(R"(\(PostgreSQL\) (\d+))");
    std::smatch match;
    std::optional<long long> major;
    if (std::regex_search(result.out, match, version)) major = to_integer(match.str(1));
    if (!major || *major > 1000) throw failure("could not read the version of pg_dump from \"" + result.out + "\"");
    return static_cast<int>(*major);
}

void PgTools::dump_schema(const pg::ConnInfo& source, const std::string& snapshot,
                          const std::vector<std::string>& exclusions, const std::filesystem::path& out) const {
    std::vector<std::string> argv = {program("pg_dump"), "--schema-only",          "--format=custom",
                                     "--no-sync",        "--snapshot=" + snapshot, "--file=" + out.string()};
    argv.insert(argv.end(), exclusions.begin(), exclusions.end());
    argv.push_back("--dbname=" + source.without_password());
    try {
        std::optional<MemoryFile> passfile;
        run_checked(with_credentials(std::move(argv), source, passfile));
    } catch (...) {
        rethrow_with_context("could not dump the " + source.label() + " schema");
    }
}

std::string PgTools::list(const std::filesystem::path& archive) const {
    return run_checked({{program("pg_restore"), "--list", archive.string()}, {}}).out;
}

std::string PgTools::script(const std::filesystem::path& archive, const std::filesystem::path& list_file,
                            const std::string& section) const {
    return run_checked({{program("pg_restore"), "--section=" + section, "--use-list=" + list_file.string(),
                         "--no-owner", "--no-acl", "--no-security-labels", "--no-publications", "--no-subscriptions",
                         "--file=-", archive.string()},
                        {}})
        .out;
}

}  // namespace sandboxctl::schema
