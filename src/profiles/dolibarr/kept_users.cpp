#include "profiles/dolibarr/kept_users.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "pg/sql.hpp"
#include "profiles/dolibarr/statement.hpp"

namespace sandboxctl::dolibarr {
namespace {

using kept::Captured;
using kept::Membership;
using kept::Reference;
using kept::Row;

bool table_exists(pg::Connection& target, std::string_view table) {
    return target.query_value("SELECT to_regclass($1) IS NOT NULL", {std::string(table)}) == "t";
}

Row row_of(const pg::Result& result, int row, int first_column = 0) {
    Row values;
    for (int column = first_column; column < result.columns(); ++column) {
        values.emplace_back(PQfname(result.raw(), column), result.get_optional(row, column));
    }
    return values;
}

std::vector<Row> rows_of(pg::Connection& target, std::string_view table, std::string_view link, long long rowid) {
    std::vector<Row> rows;
    if (!table_exists(target, table)) return rows;
    auto result =
        target.exec(sql::format("SELECT * FROM {} WHERE {} = $1", sql::Identifier(table), sql::Identifier(link)),
                    {std::to_string(rowid)});
    for (int row = 0; row < result.rows(); ++row) rows.push_back(row_of(result, row));
    return rows;
}

// Memberships by group name: a group's rowid in the sandbox means nothing in
// prod's data, and joining another group of the same rowid could grant rights
// the user never had.
std::vector<Membership> memberships_of(pg::Connection& target, long long rowid) {
    std::vector<Membership> groups;
    if (!table_exists(target, "llx_usergroup_user") || !table_exists(target, "llx_usergroup")) return groups;
    auto result = target.exec(
        "SELECT g.nom, g.entity, m.* FROM llx_usergroup_user m JOIN llx_usergroup g ON g.rowid = m.fk_usergroup"
        " WHERE m.fk_user = $1 ORDER BY m.rowid",
        {std::to_string(rowid)});
    for (int row = 0; row < result.rows(); ++row) {
        groups.push_back(Membership{result.get(row, 0), result.get_int(row, 1), row_of(result, row, 2)});
    }
    return groups;
}

std::optional<std::string> value_of(const Row& row, std::string_view column) {
    for (const auto& [name, value] : row) {
        if (name == column) return value;
    }
    return std::nullopt;
}

// The loaded table's writable columns: a kept column prod's schema dropped is
// skipped, not an error.
std::set<std::string> columns_of(pg::Connection& target, std::string_view table) {
    auto result = target.exec(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped"
        " AND attgenerated = ''",
        {std::string(table)});
    std::set<std::string> columns;
    for (int row = 0; row < result.rows(); ++row) columns.insert(result.get(row, 0));
    return columns;
}

// A row to write: the kept values, some replaced (the user's new rowid),
// some left to their defaults (fresh rowids).
struct RowWrite {
    std::vector<sql::Identifier> columns;
    pg::Params values;
};

RowWrite row_write(const Row& row, const std::set<std::string>& table_columns,
                   const std::map<std::string, std::string>& replaced, const std::set<std::string>& defaulted = {}) {
    RowWrite write;
    for (const auto& [name, value] : row) {
        if (table_columns.count(name) == 0 || defaulted.count(name) != 0) continue;
        write.columns.emplace_back(name);
        auto replacement = replaced.find(name);
        write.values.push_back(replacement == replaced.end() ? value : replacement->second);
    }
    return write;
}

pg::Result insert(pg::Connection& target, std::string_view table, const RowWrite& write, const sql::Fragment& suffix,
                  std::string_view what) {
    std::vector<sql::Fragment> placeholders;
    for (std::size_t i = 1; i <= write.values.size(); ++i) placeholders.push_back(sql::format("${}", i));
    auto statement = sql::format("INSERT INTO {} ({}) VALUES ({}) {}", sql::Identifier(table),
                                 sql::join(write.columns, ", "), sql::join(placeholders, ", "), suffix);
    return exec_without_detail(target, target.text_of(statement), write.values, what);
}

// Adds a row beside prod's (rights, memberships) unless prod has an equal
// one. ON CONFLICT DO NOTHING alone would also swallow a clash of fresh
// rowids, losing the row without a word.
void insert_unless_present(pg::Connection& target, std::string_view table, const RowWrite& write,
                           std::string_view what) {
    if (insert(target, table, write, "ON CONFLICT DO NOTHING", what).affected_rows() != 0) return;
    std::vector<sql::Fragment> equal;
    for (std::size_t i = 0; i < write.columns.size(); ++i) {
        equal.push_back(sql::format("{} IS NOT DISTINCT FROM ${}", write.columns[i], i + 1));
    }
    auto present = target.exec(
        sql::format("SELECT 1 FROM {} WHERE {}", sql::Identifier(table), sql::join(equal, " AND ")), write.values);
    if (present.rows() == 0) {
        throw failure(fmt::format("could not {}: a new row of {} conflicts with another row", what, table),
                      fmt::format("check that the rowid sequence of {} is ahead of its rows in prod", table));
    }
}

struct UserTable {
    std::set<std::string> columns;
    std::optional<sql::QualifiedName> sequence;  // llx_user's rowid sequence, if it has one
    std::size_t login_limit = 0;                 // characters of llx_user.login; 0 if unlimited
    std::vector<std::string> unique_columns;     // single-column unique keys but rowid and api_key
};

UserTable describe_users(pg::Connection& target) {
    UserTable table;
    table.columns = columns_of(target, "llx_user");
    auto sequence =
        target.exec("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE c.oid = pg_get_serial_sequence('llx_user', 'rowid')::regclass");
    if (sequence.rows() == 1) table.sequence.emplace(sequence.get(0, 0), sequence.get(0, 1));
    auto limit =
        target.exec("SELECT atttypmod - 4 FROM pg_attribute WHERE attrelid = 'llx_user'::regclass AND attname = 'login'"
                    " AND atttypmod > 4");
    if (limit.rows() == 1) table.login_limit = static_cast<std::size_t>(limit.get_int(0, 0));
    auto unique = target.exec(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
        " WHERE i.indrelid = 'llx_user'::regclass AND i.indisunique AND NOT i.indisprimary AND i.indnatts = 1"
        " AND i.indpred IS NULL AND a.attname NOT IN ('rowid', 'api_key') ORDER BY a.attname");
    for (int row = 0; row < unique.rows(); ++row) table.unique_columns.push_back(unique.get(row, 0));
    return table;
}

std::string quoted_login(const std::string& login) { return fmt::format("\"{}\"", login); }

// A column of llx_user naming a row of another table, and what tells one
// record of that table from another for a person (held in memory only).
struct ReferenceColumn {
    const char* column;
    const char* table;
    sql::Fragment identity;
};
const std::array<ReferenceColumn, 6> reference_columns = {{
    {"fk_soc", "llx_societe", "nom"},
    {"fk_socpeople", "llx_socpeople", "concat_ws(' ', lastname, firstname)"},
    {"fk_member", "llx_adherent", "concat_ws(' ', lastname, firstname, login)"},
    {"fk_user", "llx_user", "login"},
    {"fk_user_expense_validator", "llx_user", "login"},
    {"fk_user_holiday_validator", "llx_user", "login"},
}};

const ReferenceColumn* reference_column(std::string_view column) {
    for (const auto& reference : reference_columns) {
        if (column == reference.column) return &reference;
    }
    return nullptr;
}

// What the row `rowid` of the reference's table is, if there is one.
std::optional<std::string> identity_of(pg::Connection& target, const ReferenceColumn& reference,
                                       const std::string& rowid) {
    if (!table_exists(target, reference.table)) return std::nullopt;
    auto result = target.exec(sql::format("SELECT COALESCE(({})::text, '') FROM {} WHERE rowid::text = $1",
                                          reference.identity, sql::Identifier(reference.table)),
                              {rowid});
    if (result.rows() == 0) return std::nullopt;
    return result.get(0, 0);
}

std::vector<Reference> references_of(pg::Connection& target, const Row& user) {
    std::vector<Reference> references;
    for (const auto& [column, value] : user) {
        const auto* reference = reference_column(column);
        if (!reference || !value || value->empty() || *value == "0") continue;
        references.push_back({column, *value, identity_of(target, *reference, *value)});
    }
    return references;
}

// `login` cut so that `suffix` fits the column, never inside a UTF-8 character.
std::string with_suffix(const std::string& login, const std::string& suffix, std::size_t limit) {
    std::string base = login;
    if (limit != 0 && base.size() + suffix.size() > limit) {
        std::size_t keep = limit > suffix.size() ? limit - suffix.size() : 0;
        while (keep > 0 && (static_cast<unsigned char>(base[keep]) & 0xc0U) == 0x80U) --keep;
        base.resize(keep);
    }
    return base + suffix;
}

// "<login>.prod", else "<login>.prod2", "<login>.prod3", ...: the first free
// in the entity, so the same prod data always gives the same name.
std::string free_prod_login(pg::Connection& target, const UserTable& table, const std::string& login,
                            long long entity) {
    for (int attempt = 1;; ++attempt) {
        std::string candidate =
            with_suffix(login, attempt == 1 ? ".prod" : fmt::format(".prod{}", attempt), table.login_limit);
        if (target.exec("SELECT 1 FROM llx_user WHERE login = $1 AND entity = $2", {candidate, std::to_string(entity)})
                .rows() == 0) {
            return candidate;
        }
    }
}

std::optional<std::pair<std::string, long long>> holder_of(pg::Connection& target, long long rowid) {
    auto result = target.exec("SELECT login, entity FROM llx_user WHERE rowid = $1", {std::to_string(rowid)});
    if (result.rows() == 0) return std::nullopt;
    return std::make_pair(result.get(0, 0), result.get_int(0, 1));
}

// Moves the rowid sequence past `rowid` when its next value would not be.
void move_sequence_past(pg::Connection& target, const UserTable& table, long long rowid) {
    if (!table.sequence) return;
    auto state = target.exec(sql::format("SELECT last_value, is_called FROM {}", *table.sequence));
    long long next = state.get_int(0, 0) + (state.get_bool(0, 1) ? 1 : 0);
    if (next <= rowid) {
        target.exec("SELECT setval($1::regclass, $2)", {std::string(table.sequence->text()), std::to_string(rowid)});
    }
}

long long new_rowid(pg::Connection& target, const UserTable& table) {
    if (!table.sequence) return target.query_integer("SELECT COALESCE(max(rowid), 0) + 1 FROM llx_user");
    return target.query_integer("SELECT nextval($1::regclass)", {std::string(table.sequence->text())});
}

void append(std::string& text, const std::string& more) { text += text.empty() ? more : "; " + more; }

class Restorer {
public:
    Restorer(pg::Connection& target, const UserTable& table) : target_(target), table_(table) {}

    KeptUser restore(const Captured& user, long long rowid, bool same_user) {
        KeptUser kept;
        kept.login = user.login;
        kept.found = true;
        kept.sandbox_rowid = user.rowid;
        kept.rowid = rowid;
        if (!same_user) {
            if (auto holder = holder_of(target_, user.rowid)) {
                append(kept.prod_user,
                       fmt::format("rowid {} is prod user {} (unchanged)", user.rowid, quoted_login(holder->first)));
            }
            rename_prod_login(user, rowid, kept);
        }
        Row row = user.user;
        free_unique_keys(row, rowid, kept);
        clear_repointed_references(user, row, kept);
        write_user(row, rowid, same_user, user.login);
        write_rights(user, rowid);
        write_groups(user, rowid, kept);
        replace_rows("llx_user_param", "fk_user", user.params, rowid, user.login);
        replace_rows("llx_user_extrafields", "fk_object", user.extrafields, rowid, user.login);
        return kept;
    }

private:
    void rename_prod_login(const Captured& user, long long rowid, KeptUser& kept) {
        auto other = target_.exec("SELECT rowid FROM llx_user WHERE login = $1 AND entity = $2 AND rowid <> $3",
                                  {user.login, std::to_string(user.entity), std::to_string(rowid)});
        if (other.rows() == 0) return;
        std::string renamed = free_prod_login(target_, table_, user.login, user.entity);
        exec_without_detail(target_, "UPDATE llx_user SET login = $1, statut = 0 WHERE rowid = $2",
                            {renamed, other.get(0, 0)}, fmt::format("rename prod's user {}", quoted_login(user.login)));
        append(kept.prod_user, fmt::format("prod user {} (rowid {}) renamed {} and disabled", quoted_login(user.login),
                                           other.get(0, 0), quoted_login(renamed)));
    }

    // The kept user's API key wins over a prod user's copy of it (possible
    // when make_secrets_safe did not run, as in a reset); other unique
    // columns point into prod's data, so the kept row gives them up.
    void free_unique_keys(Row& row, long long rowid, KeptUser& kept) {
        if (auto key = value_of(row, "api_key"); key && table_.columns.count("api_key") != 0) {
            auto cleared = exec_without_detail(
                target_, "UPDATE llx_user SET api_key = NULL WHERE api_key = $1 AND rowid <> $2 RETURNING login",
                {*key, std::to_string(rowid)}, "clear a prod user's copy of a kept API key");
            for (int i = 0; i < cleared.rows(); ++i) {
                append(kept.prod_user,
                       fmt::format("prod user {} lost its API key (the kept user's)", quoted_login(cleared.get(i, 0))));
            }
        }
        for (const auto& column : table_.unique_columns) {
            if (column == "login") continue;
            auto value = value_of(row, column);
            if (!value) continue;
            auto holder = target_.exec(
                sql::format("SELECT 1 FROM llx_user WHERE {}::text = $1 AND rowid <> $2", sql::Identifier(column)),
                {*value, std::to_string(rowid)});
            if (holder.rows() == 0) continue;
            for (auto& [name, kept_value] : row) {
                if (name == column) kept_value.reset();
            }
            kept.cleared_columns.push_back(column);
        }
    }

    // A reference whose rowid names another record in prod (or none) would
    // silently make the kept user belong to another party: cleared, and said.
    void clear_repointed_references(const Captured& user, Row& row, KeptUser& kept) {
        for (const auto& reference : user.references) {
            if (!value_of(row, reference.column)) continue;  // already cleared (a unique key)
            const auto* column = reference_column(reference.column);
            auto in_prod = identity_of(target_, *column, reference.rowid);
            // The same record, or none on either side (nothing re-pointed).
            if (in_prod == reference.identity) continue;
            for (auto& [name, value] : row) {
                if (name == reference.column) value.reset();
            }
            kept.cleared_references.push_back(fmt::format("{} ({} rowid {} is {} in prod)", reference.column,
                                                          column->table, reference.rowid,
                                                          in_prod ? "another record" : "missing"));
        }
    }

    void write_user(const Row& row, long long rowid, bool same_user, const std::string& login) {
        std::string what = fmt::format("restore kept user {}", quoted_login(login));
        if (!same_user) {
            insert(target_, "llx_user", row_write(row, table_.columns, {{"rowid", std::to_string(rowid)}}), "", what);
            return;
        }
        RowWrite write = row_write(row, table_.columns, {}, {"rowid"});
        std::vector<sql::Fragment> sets;
        for (std::size_t i = 0; i < write.columns.size(); ++i) {
            sets.push_back(sql::format("{} = ${}", write.columns[i], i + 1));
        }
        write.values.emplace_back(std::to_string(rowid));
        auto update =
            sql::format("UPDATE llx_user SET {} WHERE rowid = ${}", sql::join(sets, ", "), write.values.size());
        exec_without_detail(target_, target_.text_of(update), write.values, what);
    }

    void write_rights(const Captured& user, long long rowid) {
        if (user.rights.empty() || !table_exists(target_, "llx_user_rights")) return;
        auto columns = columns_of(target_, "llx_user_rights");
        for (const auto& right : user.rights) {
            insert_unless_present(target_, "llx_user_rights",
                                  row_write(right, columns, {{"fk_user", std::to_string(rowid)}}, {"rowid"}),
                                  fmt::format("restore the rights of kept user {}", quoted_login(user.login)));
        }
    }

    void write_groups(const Captured& user, long long rowid, KeptUser& kept) {
        if (user.groups.empty()) return;
        bool tables = table_exists(target_, "llx_usergroup_user") && table_exists(target_, "llx_usergroup");
        auto columns = tables ? columns_of(target_, "llx_usergroup_user") : std::set<std::string>{};
        for (const auto& membership : user.groups) {
            auto group = tables ? target_.exec("SELECT rowid FROM llx_usergroup WHERE nom = $1 AND entity = $2",
                                               {membership.group_name, std::to_string(membership.group_entity)})
                                : std::optional<pg::Result>{};
            if (!group || group->rows() == 0) {
                kept.dropped_groups.push_back(
                    fmt::format("{} (entity {})", quoted_login(membership.group_name), membership.group_entity));
                continue;
            }
            insert_unless_present(
                target_, "llx_usergroup_user",
                row_write(membership.row, columns,
                          {{"fk_user", std::to_string(rowid)}, {"fk_usergroup", group->get(0, 0)}}, {"rowid"}),
                fmt::format("restore the group memberships of kept user {}", quoted_login(user.login)));
        }
    }

    void replace_rows(std::string_view table, std::string_view link, const std::vector<Row>& rows, long long rowid,
                      const std::string& login) {
        if (!table_exists(target_, table)) return;
        std::string what = fmt::format("restore {} of kept user {}", table, quoted_login(login));
        auto remove = sql::format("DELETE FROM {} WHERE {} = $1", sql::Identifier(table), sql::Identifier(link));
        exec_without_detail(target_, target_.text_of(remove), {std::to_string(rowid)}, what);
        auto columns = columns_of(target_, table);
        for (const auto& row : rows) {
            insert(target_, table, row_write(row, columns, {{std::string(link), std::to_string(rowid)}}, {"rowid"}), "",
                   what);
        }
    }

    pg::Connection& target_;
    const UserTable& table_;
};

}  // namespace

KeptUsers KeptUsers::capture(pg::Connection& target, const std::vector<std::string>& logins) {
    KeptUsers kept;
    kept.logins_ = logins;
    if (logins.empty() || !table_exists(target, "llx_user")) return kept;
    auto users = target.exec(
        "SELECT * FROM llx_user WHERE login IN (SELECT jsonb_array_elements_text($1)) ORDER BY login, entity",
        {nlohmann::json(logins).dump()});
    std::set<std::string> seen;
    for (const auto& login : logins) {
        if (!seen.insert(login).second) continue;
        for (int row = 0; row < users.rows(); ++row) {
            if (users.get(row, users.column_index("login")) != login) continue;
            Captured user;
            user.login = login;
            user.rowid = users.get_int(row, users.column_index("rowid"));
            user.entity = users.get_int(row, users.column_index("entity"));
            user.user = row_of(users, row);
            user.references = references_of(target, user.user);
            user.rights = rows_of(target, "llx_user_rights", "fk_user", user.rowid);
            user.groups = memberships_of(target, user.rowid);
            user.params = rows_of(target, "llx_user_param", "fk_user", user.rowid);
            user.extrafields = rows_of(target, "llx_user_extrafields", "fk_object", user.rowid);
            kept.users_.push_back(std::move(user));
        }
    }
    return kept;
}

KeptUsersOutcome KeptUsers::restore(pg::Connection& target) const {
    KeptUsersOutcome outcome;
    std::map<std::size_t, KeptUser> restored;
    if (!users_.empty()) {
        if (!table_exists(target, "llx_user")) {
            throw failure(fmt::format("could not restore kept user {}: the loaded database has no table llx_user",
                                      quoted_login(users_.front().login)),
                          "check that the source is a Dolibarr database, or empty [dolibarr].keep_users");
        }
        UserTable table = describe_users(target);
        Restorer restorer(target, table);
        // Users whose rowid is free (or theirs already) first, then the sequence
        // past them, then those that need a new rowid.
        std::vector<std::size_t> moved;
        long long highest = 0;
        for (std::size_t i = 0; i < users_.size(); ++i) {
            const auto& user = users_[i];
            auto holder = holder_of(target, user.rowid);
            bool same_user = holder && holder->first == user.login && holder->second == user.entity;
            if (holder && !same_user) {
                moved.push_back(i);
                continue;
            }
            restored[i] = restorer.restore(user, user.rowid, same_user);
            highest = std::max(highest, user.rowid);
        }
        move_sequence_past(target, table, highest);
        for (auto i : moved) restored[i] = restorer.restore(users_[i], new_rowid(target, table), false);
    }
    std::set<std::string> seen;
    for (const auto& login : logins_) {
        if (!seen.insert(login).second) continue;
        bool found = false;
        for (std::size_t i = 0; i < users_.size(); ++i) {
            if (users_[i].login != login) continue;
            outcome.users.push_back(restored.at(i));
            found = true;
        }
        if (!found) {
            KeptUser missing;
            missing.login = login;
            outcome.users.push_back(missing);
        }
    }
    return outcome;
}

}  // namespace sandboxctl::dolibarr
