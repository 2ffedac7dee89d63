#pragma once
// The SQL of the golden cache (snapshot/cache.hpp), built from the catalog
// alone: what a build creates and the statements that put a table back. Kept
// apart from running it so that it can be read and tested without a server.
#include <string>
#include <vector>

#include "catalog/catalog.hpp"

namespace sandboxctl::snapshot {

// Drops and recreates schema sandboxctl_golden: cache table gN copies the
// N-th of `tables` (user-typed columns as text), indexed on its primary key
// and listed in sandboxctl_golden.tables; sandboxctl_golden.meta is created
// empty (the caller inserts the snapshot name as a parameter).
std::string cache_build_script(const std::vector<const catalog::Relation*>& tables);

// Inserts every row of cache table `cache` into `t`, cast back to its types.
std::string insert_all_cached(const catalog::Relation& t, const std::string& cache);

// The statements that put `t` back to `cache` row by row, on its primary
// key: delete the rows the cache lacks, insert the cached rows the table
// lacks, update those that differ (empty when only key and GENERATED ALWAYS
// columns exist). With `restrict_to_log`, only the keys the change log names.
struct KeyedRestore {
    std::string remove;
    std::string insert;
    std::string update;
};
KeyedRestore keyed_restore(const catalog::Relation& t, const std::string& cache, bool restrict_to_log);

// Empties `t` (DELETE when other tables reference it, TRUNCATE otherwise)
// and inserts every cached row, with the table's own foreign keys dropped
// (`drop_keys`) before and added back (`add_keys`) after.
std::string reload_script(const catalog::Relation& t, const std::string& cache, bool referenced,
                          const std::string& drop_keys, const std::string& add_keys);

// For a keyed table: one query returning how many rows a reload deletes,
// inserts and updates (in that order), counted before it runs.
std::string keyed_reload_counts(const catalog::Relation& t, const std::string& cache, bool restrict_to_log);

// For a table without a key (and with columns): the number of rows in the
// table but not the cache (`table_side`), or in the cache but not the table,
// as multisets.
std::string unkeyed_reload_count(const catalog::Relation& t, const std::string& cache, bool table_side);

}  // namespace sandboxctl::snapshot
