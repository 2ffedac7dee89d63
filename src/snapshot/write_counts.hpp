#pragma once
// What a reset may skip reading. To learn whether the schema, the change
// tracking or the golden cache changed since the last reset, a reset reads
// every catalog (the catalog signal); to learn which sequences moved, it
// reads every sequence. Both costs follow the size of the schema, not the
// rows a scenario changed. PostgreSQL's cumulative statistics count both
// kinds of write as they happen: rows inserted, updated and deleted in each
// catalog, and blocks read from each sequence (nextval and setval read it).
// At the end of each reset, still holding exclusive access, sandboxctl
// records these counts in the state directory, its own flushed first; a
// later reset that finds the catalogs' counts unchanged knows that no catalog
// row was written since, and sets only the sequences whose count moved.
//
// The counts are complete only once every session that wrote has flushed its
// statistics, which a session does when it ends. So they are trusted only
// where that holds: PostgreSQL 15 or later (shared-memory statistics; the
// older collector could drop messages), track_counts on, and exclusive access
// that ended every other session of the database and saw it gone. Otherwise,
// or without a record for this very baseline, the reset reads the catalogs.
// Counts only grow: a statistics reset (a superuser's, or a login's granted
// the right, which is then not trusted) or a crash lowers them, which reads as
// a change too; so does the reset time recorded with them.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pg/connection.hpp"
#include "snapshot/manifest.hpp"

namespace sandboxctl::snapshot {

// The kind of state file (safety::database_state_file) that holds them.
inline constexpr const char* write_counts_kind = "write-counts";

struct SequenceReads {
    unsigned oid = 0;
    long long blocks = 0;
};

struct WriteCounts {
    std::string baseline;                            // the baseline they follow: snapshot and the time it was written
    std::string catalogs;                            // "inserted:updated:deleted" of each catalog the signal reads
    std::map<std::string, SequenceReads> sequences;  // by qualified name
};

// Whether this server's statistics can be trusted as described above (the
// server's version, this session's track_counts, a login that is no
// superuser and may not reset statistics).
bool write_counts_trustworthy(pg::Connection& conn);

// The catalogs' counts as this transaction sees them (fresh at its first read).
std::string catalog_write_counts(pg::Connection& conn);

// Of `recorded`'s sequences, those whose block count moved since.
std::vector<std::string> sequences_read_since(pg::Connection& conn, const WriteCounts& recorded);

// Flushes this session's statistics and takes the counts, outside any
// transaction, after `baseline` committed. The sequences' oids are `known`'s
// where given (a reset that wrote no catalog row), else looked up.
WriteCounts take_write_counts(pg::Connection& conn, const std::string& baseline,
                              const std::vector<SequenceEntry>& sequences, const std::optional<WriteCounts>& known);

std::optional<WriteCounts> load_write_counts(const std::filesystem::path& path);
void save_write_counts(const std::filesystem::path& path, const WriteCounts& counts);

}  // namespace sandboxctl::snapshot
