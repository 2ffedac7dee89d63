#pragma once
// Runs pg_dump and pg_restore. Connection strings reach them without the
// password; a password travels in an in-memory 0600 passfile (memfd) named by
// PGPASSFILE, which exists only while the child runs and never on disk.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/memory_file.hpp"
#include "core/process.hpp"
#include "pg/conninfo.hpp"

namespace sandboxctl::schema {

class PgTools {
public:
    // `bin_dir` empty means: find the programs on PATH.
    explicit PgTools(std::string bin_dir);

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
    // The child's spec; a password goes into `passfile`, which must outlive the child.
    ProcessSpec with_credentials(std::vector<std::string> argv, const pg::ConnInfo& info,
                                 std::optional<MemoryFile>& passfile) const;

    std::string bin_dir_;
};

}  // namespace sandboxctl::schema
