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

// Grants `reader_role` read access to the cache again (DROP OWNED BY that
// role revokes it). Returns with `reader_role` current.
void grant_cache(pg::Connection& conn, const std::string& reader_role);

// The snapshot the cache holds, if a complete cache exists.
std::optional<std::string> cached_snapshot(pg::Connection& conn);

struct DeltaStats {
    int tables = 0;
    long long deleted = 0;
    long long inserted = 0;
    long long updated = 0;
};

// Puts every dirty table back to the cache's content: rows the log names (or
// whole tables) are deleted if new, inserted if missing and updated if
// present, children before parents for deletes and parents before children
// for inserts; a statement that trips a foreign key is retried after the
// others (under a savepoint). User triggers of those tables do not fire.
DeltaStats restore_from_cache(pg::Connection& conn, const std::vector<DirtyTable>& dirty,
                              const catalog::SourceCatalog& catalog);

}  // namespace sandboxctl::snapshot
