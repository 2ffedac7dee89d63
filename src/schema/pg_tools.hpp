#pragma once
// Runs pg_dump and pg_restore. Connection strings reach them without the
// password; a password travels in a private (0600) passfile named by
// PGPASSFILE, removed with the run's temporary directory.
#include <filesystem>
#include <string>
#include <vector>

#include "core/temp_dir.hpp"
#include "pg/conninfo.hpp"

namespace sandboxctl::schema {

class PgTools {
public:
    // `bin_dir` empty means: find the programs on PATH.
    PgTools(std::string bin_dir, const TempDir& work);

    // Major version of pg_dump (e.g. 15), read from `pg_dump --version`.
    int pg_dump_major_version() const;

    // Dumps the schema of `source` at `snapshot` in custom format to `out`.
    // `exclusions` are pg_dump options (--exclude-table=..., --exclude-schema=...)
    // for objects never to lock or read.
    void dump_schema(const pg::ConnInfo& source, const std::string& snapshot,
                     const std::vector<std::string>& exclusions, const std::filesystem::path& out) const;

    // `pg_restore --list` of an archive.
    std::string list(const std::filesystem::path& archive) const;

    // The SQL script for one section ("pre-data" or "post-data") of an
    // archive, restricted to the entries kept in `list_file`, without owners
    // or privileges.
    std::string script(const std::filesystem::path& archive, const std::filesystem::path& list_file,
                       const std::string& section) const;

private:
    std::string program(const char* name) const;
    std::vector<std::pair<std::string, std::string>> credentials_for(const pg::ConnInfo& info) const;

    std::string bin_dir_;
    const TempDir& work_;
};

}  // namespace sandboxctl::schema
