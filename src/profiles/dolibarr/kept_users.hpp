#pragma once
// Users of the sandbox that outlive a rebuild (the login an AI agent or a
// tester works with): captured into memory before the clean (temporary tables
// would not survive the clean's DROP OWNED), written back after the load.
//
// What is kept, per llx_user row whose login is listed (every entity the
// sandbox has it in): the whole llx_user row (password hash, API key, admin
// flag, ...), its llx_user_rights rows, its llx_usergroup_user memberships
// (by group name and entity), its llx_user_param rows and its
// llx_user_extrafields row, each where the table exists.
//
// Restore rules, in this order; no prod user's row changes except one that
// collides with a kept user on a unique key:
// - Same user: prod has the login (same entity) at the kept user's rowid.
//   The kept row replaces prod's row in place, so prod's data that points at
//   that rowid still points at this user.
// - Login taken by another user: prod has the login (same entity) at another
//   rowid. That prod user is renamed "<login>.prod" ("<login>.prod2", ... when
//   taken; the login cut to fit the column) and disabled (statut 0).
// - Rowid taken: prod holds the kept user's rowid for another login. Prod's
//   user stays; the kept user gets the next value of llx_user's rowid
//   sequence, and its rights, groups, params and extrafields follow it. Users
//   whose rowid is free are written first, and the sequence is moved past
//   every rowid written, so the application's next user cannot collide.
// - Other unique keys of llx_user (Dolibarr 22: uk_user_api_key,
//   uk_user_fk_socpeople, uk_user_fk_member): a prod user holding the kept
//   user's API key loses it (NULL; the kept user keeps its key); when a prod
//   user holds the kept user's fk_socpeople or fk_member, the kept row's
//   column is set to NULL (prod's contact or member is prod's) and reported.
// - References to other records (fk_soc, fk_socpeople, fk_member, fk_user and
//   the validator columns) stay only where prod's row of that rowid is the
//   record the sandbox's was (same name, or login); otherwise the column is
//   set to NULL and reported: prod may have given the rowid to a real
//   customer. Keep the record too ([[refresh.keep]], keyed on rowid) to keep
//   the reference.
// - Rights and memberships are added with fresh rowids beside prod's rows,
//   which are never deleted (a same user keeps prod's rights too). A
//   membership whose group (name, entity) prod does not have is dropped and
//   reported. Params and extrafields belong to the row: those stored at the
//   kept user's final rowid are replaced by the kept ones.
// - Columns the loaded table no longer has are skipped; secret values are
//   never part of an error (dolibarr/statement.hpp).
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pg/connection.hpp"

namespace sandboxctl::dolibarr {

struct KeptUser {
    std::string login;
    bool found = false;  // the sandbox had this login (else nothing to keep, a warning)
    long long sandbox_rowid = 0;
    long long rowid = 0;    // its rowid after the restore (differs when prod holds sandbox_rowid for another user)
    std::string prod_user;  // what happened to a prod user that collided on a unique key ("" if none)
    // Group memberships not restored because prod has no such group ("name (entity N)").
    std::vector<std::string> dropped_groups;
    // Columns of the kept row set to NULL because a prod user holds the value ("fk_member").
    std::vector<std::string> cleared_columns;
    // References set to NULL because the row they named in the sandbox is
    // another record (or none) in prod: "fk_soc (llx_societe rowid 12 is
    // another record in prod)". Never a silent re-pointing to another
    // party's data.
    std::vector<std::string> cleared_references;
};

struct KeptUsersOutcome {
    std::vector<KeptUser> users;
};

// What KeptUsers::capture reads; its own business.
namespace kept {
// One row as text, column by column (NULL as nullopt). Holds secrets: never printed.
using Row = std::vector<std::pair<std::string, std::optional<std::string>>>;
struct Membership {
    std::string group_name;
    long long group_entity = 0;
    Row row;
};
// A reference of the kept row (fk_soc, ...) and what the row it names was in
// the sandbox (its name; nullopt when there was no such row).
struct Reference {
    std::string column;
    std::string rowid;
    std::optional<std::string> identity;
};
struct Captured {
    std::string login;
    long long rowid = 0;
    long long entity = 0;
    Row user;
    std::vector<Reference> references;
    std::vector<Row> rights;
    std::vector<Membership> groups;
    std::vector<Row> params;
    std::vector<Row> extrafields;
};
}  // namespace kept

class KeptUsers {
public:
    // Before the clean: the users with these logins, their rights, group memberships
    // (and whatever else must come along: extrafields, params) read from the sandbox into memory.
    static KeptUsers capture(pg::Connection& target, const std::vector<std::string>& logins);
    // After the load (and after make_secrets_safe): writes them back; see the doc comment for collisions.
    KeptUsersOutcome restore(pg::Connection& target) const;

private:
    std::vector<std::string> logins_;
    std::vector<kept::Captured> users_;
};

}  // namespace sandboxctl::dolibarr
