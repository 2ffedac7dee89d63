#pragma once
// What the source database holds, read once at the run's snapshot. Everything
// the refresh decides (what to copy, what to leave out and why) is derived from
// this, so the decisions are consistent with the data that is copied.
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace sandboxctl::catalog {

struct Relation {
    unsigned oid = 0;
    std::string schema;
    std::string name;
    std::string owner;
    char relkind = 'r';  // pg_class.relkind: r p S v m f
    bool unlogged = false;
    bool is_partition = false;
    bool row_security = false;
    bool force_row_security = false;
    // Row-level security would hide rows from this session (FORCE, or the
    // session lacks the owner's privileges, and it cannot bypass RLS).
    bool row_security_applies = false;
    bool readable = false;  // the session may SELECT from it
    bool populated = true;  // materialized views: holds data (not WITH NO DATA)
    long long bytes = 0;    // pg_table_size
    long long estimated_rows = 0;
    std::vector<std::string> copy_columns;       // stored columns, in order; no generated or dropped ones
    std::vector<std::string> copy_column_types;  // their SQL types (format_type), same order
    // Same order: the type is built into PostgreSQL (no dependency on a user type).
    std::vector<bool> copy_column_builtin;
    // Primary key columns (name, SQL type), in key order; empty without one.
    std::vector<std::pair<std::string, std::string>> primary_key;
    // Columns that only accept DEFAULT in an UPDATE (GENERATED ALWAYS AS IDENTITY).
    std::vector<std::string> identity_always;
    // Every copied column has a type whose binary COPY form carries no
    // database-specific oids (built-in types, enums, domains over built-ins).
    bool binary_copy_safe = false;

    std::string qualified() const;  // "schema"."name", quoted
    std::string display() const;    // schema.name, unquoted, for reports
    const char* kind() const;       // "table", "sequence", ...
    bool holds_rows() const { return relkind == 'r'; }
};

// A non-relation object (function, type, schema) whose owner is not the
// source role; the refresh leaves it out and reports it.
struct OwnedObject {
    std::string kind;
    std::string identity;
    std::string owner;
};

struct ForeignKey {
    std::string schema;
    std::string table;
    std::string name;
    unsigned table_oid = 0;
    unsigned referenced_oid = 0;
    // "a IS NOT NULL AND b IS NOT NULL" over the referencing columns: the
    // rows the key checks (MATCH SIMPLE skips rows with a NULL in the key).
    std::string checked_rows = {};
};

struct SourceCatalog {
    std::string database;
    std::string database_owner;
    std::string session_user;
    std::vector<Relation> relations;
    std::vector<OwnedObject> objects;  // functions, types and schemas with their owners
    std::vector<ForeignKey> foreign_keys;
    // (materialized view, materialized view it reads from), for refresh order.
    std::vector<std::pair<unsigned, unsigned>> matview_dependencies;
    std::vector<std::string> role_names;    // every role, for parsing pg_restore lists
    std::vector<std::string> schema_names;  // every schema, likewise

    const Relation* find(unsigned oid) const;
};

// Reads the catalog through `conn`, which must already be inside the run's
// snapshot transaction. Extension members and system schemas are skipped.
SourceCatalog read_catalog(pg::Connection& conn);

// Every role and schema name, longest first (for parsing pg_restore lists).
std::vector<std::string> read_role_names(pg::Connection& conn);
std::vector<std::string> read_schema_names(pg::Connection& conn);

// Only the shape of the relations with these oids (names, kind, stored
// columns, primary key, identity columns), all else left at its default:
// what a delta reset needs, in a lighter query.
std::vector<Relation> read_shapes(pg::Connection& conn, const std::vector<unsigned>& oids);

// Current state of every sequence in `sequences` (last_value, is_called).
struct SequenceState {
    const Relation* sequence = nullptr;
    std::string last_value;
    bool is_called = false;
};
std::vector<SequenceState> read_sequence_states(pg::Connection& conn, const std::vector<const Relation*>& sequences);

}  // namespace sandboxctl::catalog
