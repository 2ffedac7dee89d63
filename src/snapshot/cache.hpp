#pragma once
// The golden cache: a copy of every table of the baseline snapshot inside the
// sandbox database (schema sandboxctl_golden, indexed on the primary key), so
// a delta reset restores the rows the log names with a few indexed statements
// on the server instead of reloading whole tables from files.
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "pg/connection.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::snapshot {

// Rebuilds the cache from the tables' contents as the caller's transaction
// sees them, labelled with `snapshot`. The cache belongs to the login (the
// session user), not to `reader_role`, so that a full reset, which drops what
// the target role owns, keeps it; `reader_role` is granted read access, and
// is the role current again on return.
void build_cache(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables, const std::string& snapshot,
                 const std::string& reader_role);

// Drops the cache, as the login (its owner). A full reset that will rebuild
// it drops it first, before anything else in its transaction: see full_reset.
void drop_cache(pg::Connection& conn);

// The cache is read-only for its owner too (INSERT, UPDATE, DELETE and
// TRUNCATE revoked), so writing to it takes a catalog write first, which the
// cache seal (oid and row version of every catalog row of the cache schema:
// namespace, tables, columns, triggers, rules, policies) records. Cheap.
std::string cache_seal(pg::Connection& conn);

// Grants `reader_role` read access to the cache again (DROP OWNED BY that
// role revokes it). Returns with `reader_role` current.
void grant_cache(pg::Connection& conn, const std::string& reader_role);

// The snapshot the cache holds, if a complete cache exists.
std::optional<std::string> cached_snapshot(pg::Connection& conn);

// Rows the reset actually changed: a row put back as it was is counted once,
// as inserted; a row whose logged write left it as it was is not counted.
struct DeltaStats {
    int tables = 0;
    int reloaded = 0;  // tables emptied and loaded whole from the cache
    long long deleted = 0;
    long long inserted = 0;
    long long updated = 0;
    // Catalog rows other than the paused user triggers' were written (a bulk
    // restore pauses tracking, analyzes the log, truncates, rebuilds keys).
    bool rewrote_catalog = false;
};

// A keyed table with at least this many logged keys, and at least a tenth of
// its cached rows, is restored in bulk: tracking paused on it, and reloaded
// whole (TRUNCATE, then every cached row) when no other table references it.
inline constexpr long long bulk_min_keys = 1000;

// Puts every dirty table back to the cache's content: rows the log names (or
// whole tables) are deleted if new, inserted if missing and updated if they
// differ, children before parents for deletes and parents before children
// for inserts; a statement that trips a foreign key is retried after the
// others (under a savepoint). User triggers of those tables do not fire.
DeltaStats restore_from_cache(pg::Connection& conn, const std::vector<DirtyTable>& dirty,
                              const catalog::SourceCatalog& catalog);

}  // namespace sandboxctl::snapshot
