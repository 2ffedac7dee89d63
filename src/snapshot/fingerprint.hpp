#pragma once
// A fingerprint of the sandbox's schema, cheap enough to compute on every
// reset (one catalog query): relations, columns, defaults, constraints,
// indexes, triggers, functions, types, views and policies, without oids, so a
// restored copy of the same schema has the same fingerprint. sandboxctl's own
// schemas and tracking triggers are left out.
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"

namespace sandboxctl::snapshot {

// Must run inside a transaction (it sets search_path locally). The result
// starts with fingerprint_format: a fingerprint of another format (an older
// snapshot's) cannot be compared with it.
inline constexpr const char* fingerprint_format = "2:";
std::string schema_fingerprint(pg::Connection& conn);
bool has_current_format(const std::string& fingerprint);

// Every catalog pg_dump reads for the objects it restores, in the order of
// the catalog signal's entries.
inline constexpr std::array<std::string_view, 33> signal_catalogs = {
    "pg_namespace",     "pg_class",       "pg_attribute", "pg_attrdef",
    "pg_constraint",    "pg_index",       "pg_trigger",   "pg_proc",
    "pg_type",          "pg_enum",        "pg_rewrite",   "pg_policy",
    "pg_description",   "pg_sequence",    "pg_depend",    "pg_inherits",
    "pg_statistic_ext", "pg_default_acl", "pg_aggregate", "pg_extension",
    "pg_operator",      "pg_opclass",     "pg_opfamily",  "pg_collation",
    "pg_conversion",    "pg_ts_config",   "pg_ts_dict",   "pg_partitioned_table",
    "pg_range",         "pg_cast",        "pg_language",  "pg_foreign_table",
    "pg_transform"};

// A change detector for the catalogs the fingerprint reads: row counts and
// sums of row versions (xmin). Any DDL replaces catalog rows and changes it;
// it costs a few milliseconds where the fingerprint costs tens, so a reset
// computes the fingerprint only when the signal moved.
std::string catalog_signal(pg::Connection& conn);
// `signal` with only the entries of the catalogs in `written` taken afresh:
// for a transaction that wrote rows of those catalogs alone since `signal`
// was taken in it (a delta reset: trigger states, the log's privileges).
std::string catalog_signal_updated(pg::Connection& conn, const std::string& signal,
                                   const std::vector<std::string_view>& written);

}  // namespace sandboxctl::snapshot
