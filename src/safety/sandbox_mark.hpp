#pragma once
// The sandbox mark: proof that a database is a sandbox sandboxctl manages,
// so a swapped --source/--target can never replace a production database.
//
// It is a line in the database's comment ("sandboxctl sandbox <uuid>"),
// written in the transaction of the first refresh. A comment on the database
// belongs to the database itself, which the refresh never drops: DROP OWNED
// removes what the roles own inside it, not the database or its comment.
// The id also ties snapshots to the database they were taken from.
#include <filesystem>
#include <optional>
#include <string>

#include "pg/connection.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::safety {

struct SandboxMark {
    std::string id;  // a UUID
};

// The mark of the database `conn` is connected to, if it has one.
std::optional<SandboxMark> read_mark(pg::Connection& conn);

// Marks the database (keeping any comment it had) and returns the mark: a
// new one, or `id` when given (a lost mark written back). Runs inside the
// caller's transaction, as a role that owns the database.
SandboxMark write_mark(pg::Connection& conn, const std::optional<std::string>& id = std::nullopt);

// When the database carries no mark, or another one, but `recorded` (the
// record of its last refresh, safety/records.hpp) names one, writes that
// mark back in a transaction of its own, as `owner_role`, with a warning
// that says what proves it; returns whether it did.
bool restore_mark(pg::Connection& conn, const std::optional<SandboxMark>& recorded, const std::string& owner_role);

// What the sandbox's rows were masked with: a second line of the comment,
// "sandboxctl masking <fingerprint>" (masking/fingerprint.hpp), written in
// the transaction that loads the rows (a refresh, a full reset), absent when
// they were not masked. `snapshot create` copies it into the manifest, so a
// reset can refuse a snapshot that holds data the current rules mask.
std::string read_masking_state(pg::Connection& conn);  // "" when unmasked
void write_masking_state(pg::Connection& conn, const std::string& fingerprint);

// The preflight check: PASS when marked, or empty (the refresh marks it);
// WARN when `init_database` (refresh --init=NAME) names this unmarked, non-empty
// database, which the refresh then adopts. FAIL when --init names another
// database, or when the database is neither marked, empty nor named.
// `recorded` is the mark the record of its last refresh names (a lost or
// changed mark is then WARN: the refresh writes it back); `was_source` that
// sandboxctl's records show the database was a refresh's source (FAIL).
Check check_mark(pg::Connection& target, const std::string& init_database,
                 const std::optional<SandboxMark>& recorded = std::nullopt, bool was_source = false);

// The preflight check on the source: a marked database is a sandbox, never
// prod, so a source that carries the mark is a swapped --source/--target.
// `recorded` is the mark a record of sandboxctl's names for the source (it
// refreshed it as a sandbox): FAIL too, whatever its comment says now.
Check check_source_unmarked(pg::Connection& source, const std::optional<SandboxMark>& recorded = std::nullopt);

// Throws a refusal (exit 3) unless the database carries mark `expected_id`
// (or, when `expected_id` is empty, any mark). `action` names what is refused.
void require_mark(pg::Connection& target, const std::string& expected_id, const std::string& action);

}  // namespace sandboxctl::safety
