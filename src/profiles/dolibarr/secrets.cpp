#include "profiles/dolibarr/secrets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <nlohmann/json.hpp>
#include <set>

#include "core/error.hpp"
#include "core/number.hpp"
#include "core/own_schemas.hpp"
#include "pg/sql.hpp"
#include "profiles/dolibarr/statement.hpp"

namespace sandboxctl::dolibarr {
namespace {

// Dolibarr decrypts whatever matches ^dolcrypt:; clearing every value that
// merely starts so is the fail-closed side of that test.
sql::Fragment encrypted_test() { return "LIKE 'dolcrypt:%'"; }

// The places Dolibarr's source says it encrypts (besides llx_const and
// llx_user.api_key, which have steps of their own). The scan finds them like
// any other column; they are named in the outcome even when they held nothing,
// so a report shows they were looked at.
constexpr std::array<std::pair<const char*, const char*>, 3> documented_places = {{
    {"llx_oauth_token", "token"},
    {"llx_emailcollector_emailcollector", "password"},
    {"llx_societe_rib", "iban_prefix"},
}};

struct TextColumn {
    std::string name;
    bool nullable = true;
};

struct TextTable {
    std::string schema;
    std::string name;
    std::vector<TextColumn> columns;
};

// "llx_const" in public, "schema.table" elsewhere: the names Dolibarr's
// documentation and its operators use.
std::string place_name(const TextTable& table, std::string_view column) {
    std::string prefix = table.schema == "public" ? table.name : table.schema + "." + table.name;
    return column.empty() ? prefix : fmt::format("{}.{}", prefix, column);
}

sql::QualifiedName qualified(const TextTable& table) { return {table.schema, table.name}; }

// What a cleared value becomes: NULL where the column allows it, else ''.
sql::Fragment cleared_value(const TextColumn& column) {
    return column.nullable ? sql::Fragment("NULL") : sql::Fragment("''");
}

// Every column of a string type (text, varchar, char, domains over them) of
// every ordinary table in the application's schemas: the fail-closed scan
// reads them all, because an extrafield, a module's table or a future
// Dolibarr may store dolcrypt values where no list says.
std::vector<TextTable> text_tables(pg::Connection& target) {
    auto result = target.exec(
        R"(
SELECT n.nspname, c.relname, a.attname, NOT a.attnotnull
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
  JOIN pg_type t ON t.oid = a.atttypid
 WHERE c.relkind = 'r' AND t.typcategory = 'S'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', $1, $2, $3)
   AND n.nspname NOT LIKE 'pg\_%'
 ORDER BY n.nspname, c.relname, a.attnum)",
        {std::string(own_schemas::tracking), std::string(own_schemas::cache), std::string(own_schemas::pool)});
    std::vector<TextTable> tables;
    for (int row = 0; row < result.rows(); ++row) {
        if (tables.empty() || tables.back().schema != result.get(row, 0) || tables.back().name != result.get(row, 1)) {
            tables.push_back(TextTable{result.get(row, 0), result.get(row, 1), {}});
        }
        tables.back().columns.push_back(TextColumn{result.get(row, 2), result.get_bool(row, 3)});
    }
    return tables;
}

const TextColumn* find_column(const TextTable& table, std::string_view name) {
    auto found = std::find_if(table.columns.begin(), table.columns.end(),
                              [&](const TextColumn& column) { return column.name == name; });
    return found == table.columns.end() ? nullptr : &*found;
}

std::string json_array(const std::vector<std::string>& names) { return nlohmann::json(names).dump(); }

// Whether `text` is UTF-8 without control characters other than tab, line
// feed and carriage return. CTR decryption with a wrong key cannot fail; it
// yields random bytes. decrypt() already refuses what is not ASCII (Dolibarr
// 23's own test); this keeps the promise of valid UTF-8 whatever decrypt
// accepts, and turns away the control characters ASCII garbage is made of.
bool looks_like_text(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size()) {
        auto byte = static_cast<unsigned char>(text[i]);
        if (byte < 0x80) {
            if ((byte < 0x20 && byte != '\t' && byte != '\n' && byte != '\r') || byte == 0x7f) return false;
            ++i;
            continue;
        }
        std::size_t length = 0;
        unsigned minimum = 0;
        unsigned code = 0;
        if ((byte & 0xe0U) == 0xc0U) {
            length = 2, minimum = 0x80, code = byte & 0x1fU;
        } else if ((byte & 0xf0U) == 0xe0U) {
            length = 3, minimum = 0x800, code = byte & 0x0fU;
        } else if ((byte & 0xf8U) == 0xf0U) {
            length = 4, minimum = 0x10000, code = byte & 0x07U;
        } else {
            return false;
        }
        if (i + length > text.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0U) != 0x80U) return false;
            code = (code << 6U) | (next & 0x3fU);
        }
        if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
        i += length;
    }
    return true;
}

// Whether the stored form names AES-256-CTR (any case, as Dolibarr reads it):
// then a value that does not decrypt points at the key, not at the value.
bool names_aes_256_ctr(std::string_view stored) {
    constexpr std::string_view prefix = "dolcrypt:aes-256-ctr:";
    if (stored.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(stored[i])) != prefix[i]) return false;
    }
    return true;
}

struct RekeyKeys {
    const InstanceKey& prod;
    const InstanceKey& sandbox;
};

// A rekey name is asked for by the operator; without both keys nothing can
// honour it, and silently clearing the value instead would surprise them.
std::optional<RekeyKeys> rekey_keys(const std::optional<InstanceKey>& prod_key,
                                    const std::optional<InstanceKey>& sandbox_key,
                                    const std::vector<std::string>& rekey) {
    if (rekey.empty()) return std::nullopt;
    if (!prod_key || !sandbox_key) {
        throw usage_error(
            fmt::format("could not re-encrypt [dolibarr].rekey for the sandbox: {} instance key is unknown",
                        prod_key ? "the sandbox's" : "prod's"),
            "set [dolibarr].prod_conf and [dolibarr].sandbox_conf to the two instances' conf.php files");
    }
    return RekeyKeys{*prod_key, *sandbox_key};
}

// Decrypts one llx_const value with prod's key and encrypts it again with the
// sandbox's, with a fresh IV as Dolibarr does. Refuses (exit 3) when the
// plain text is not text: prod_conf then most likely names another instance.
std::string reencrypt(std::string_view stored, const RekeyKeys& keys, const std::string& name, long long entity) {
    auto plain = decrypt(stored, keys.prod);
    if (!plain && !names_aes_256_ctr(stored)) {
        throw Error(ExitCode::refused,
                    fmt::format("could not re-encrypt llx_const \"{}\" (entity {}): its value is not an "
                                "AES-256-CTR dolcrypt value",
                                name, entity),
                    "remove the name from [dolibarr].rekey to have the value cleared instead");
    }
    if (!plain || !looks_like_text(*plain)) {
        if (plain) std::fill(plain->begin(), plain->end(), '\0');
        throw Error(ExitCode::refused,
                    fmt::format("could not re-encrypt llx_const \"{}\" (entity {}): prod's instance key does not "
                                "decrypt its value",
                                name, entity),
                    "check that [dolibarr].prod_conf names the conf.php of the prod instance the data comes from");
    }
    std::string again = encrypt(*plain, keys.sandbox, random_iv());
    std::fill(plain->begin(), plain->end(), '\0');
    return again;
}

// Re-encrypts the encrypted rows of the rekey names; returns the names done.
std::set<std::string> rekey_constants(pg::Connection& target, const TextTable& constants,
                                      const std::vector<std::string>& rekey, const RekeyKeys& keys) {
    auto rows = target.exec(
        sql::format("SELECT rowid, name, entity, value FROM {} WHERE name IN (SELECT jsonb_array_elements_text($1))"
                    " AND value {} ORDER BY name, entity",
                    qualified(constants), encrypted_test()),
        {json_array(rekey)});
    std::set<std::string> done;
    for (int row = 0; row < rows.rows(); ++row) {
        std::string name = rows.get(row, 1);
        std::string value = rows.get(row, 3);
        std::string again = reencrypt(value, keys, name, rows.get_int(row, 2));
        std::fill(value.begin(), value.end(), '\0');
        auto update = sql::format("UPDATE {} SET value = $1 WHERE rowid = $2", qualified(constants));
        exec_without_detail(target, target.text_of(update), {again, rows.get(row, 0)},
                            fmt::format("re-encrypt llx_const \"{}\"", name));
        done.insert(name);
    }
    return done;
}

// Every other dolcrypt constant, all entities, counted per name.
void clear_constants(pg::Connection& target, const TextTable& constants, const std::vector<std::string>& rekey,
                     SecretsOutcome& outcome) {
    const TextColumn* value = find_column(constants, "value");
    if (value == nullptr || find_column(constants, "name") == nullptr) return;
    auto filter = sql::format("value {} AND name NOT IN (SELECT jsonb_array_elements_text($1))", encrypted_test());
    auto counts = target.exec(
        sql::format("SELECT name, count(*) FROM {} WHERE {} GROUP BY name ORDER BY name", qualified(constants), filter),
        {json_array(rekey)});
    if (counts.rows() == 0) return;
    auto clear = sql::format("UPDATE {} SET value = {} WHERE {}", qualified(constants), cleared_value(*value), filter);
    exec_without_detail(target, target.text_of(clear), {json_array(rekey)}, "clear the encrypted values of llx_const");
    for (int row = 0; row < counts.rows(); ++row) {
        outcome.cleared.push_back(
            ClearedSecrets{place_name(constants, "") + "." + counts.get(row, 0), counts.get_int(row, 1)});
    }
}

// Every API key, encrypted or not: a prod user's key must not open the
// sandbox's REST API (Dolibarr accepts a plain key as well as its encryption).
void clear_api_keys(pg::Connection& target, const TextTable& users, SecretsOutcome& outcome) {
    const TextColumn* api_key = find_column(users, "api_key");
    if (api_key == nullptr) return;
    auto clear = sql::format("UPDATE {} SET api_key = {} WHERE api_key IS NOT NULL AND api_key <> ''", qualified(users),
                             cleared_value(*api_key));
    auto result = exec_without_detail(target, target.text_of(clear), {}, "clear the API keys of llx_user");
    outcome.cleared.push_back(ClearedSecrets{place_name(users, "api_key"), result.affected_rows()});
}

// The password extrafields Dolibarr declares (llx_extrafields.type =
// 'password'): named in the outcome like the documented places.
std::set<std::string> password_extrafields(pg::Connection& target, const std::vector<TextTable>& tables) {
    std::set<std::string> names;
    for (const auto& table : tables) {
        if (table.name != "llx_extrafields" || !find_column(table, "name") || !find_column(table, "type")) continue;
        auto result = target.exec(sql::format("SELECT name FROM {} WHERE type = 'password'", qualified(table)));
        for (int row = 0; row < result.rows(); ++row) names.insert(result.get(row, 0));
    }
    return names;
}

bool documented(const TextTable& table, const TextColumn& column, const std::set<std::string>& password_fields) {
    for (const auto& [name, field] : documented_places) {
        if (table.name == name && column.name == field) return true;
    }
    constexpr std::string_view suffix = "_extrafields";
    return table.name.size() > suffix.size() &&
           std::string_view(table.name).substr(table.name.size() - suffix.size()) == suffix &&
           password_fields.count(column.name) != 0;
}

// One SELECT for the whole schema: per table, one pass counting the encrypted
// values of each of its string columns. Returns the counts in `tables` order.
std::vector<std::vector<long long>> count_encrypted(pg::Connection& target, const std::vector<TextTable>& tables) {
    std::vector<sql::Fragment> parts;
    for (std::size_t index = 0; index < tables.size(); ++index) {
        std::vector<sql::Fragment> counts;
        for (const auto& column : tables[index].columns) {
            counts.push_back(
                sql::format("count(*) FILTER (WHERE {}::text {})", sql::Identifier(column.name), encrypted_test()));
        }
        parts.push_back(sql::format("SELECT {}, ARRAY[{}]::text FROM {}", index, sql::join(counts, ", "),
                                    qualified(tables[index])));
    }
    std::vector<std::vector<long long>> found(tables.size());
    if (parts.empty()) return found;
    auto result = target.exec(sql::join(parts, "\nUNION ALL "));
    for (int row = 0; row < result.rows(); ++row) {
        auto index = static_cast<std::size_t>(result.get_int(row, 0));
        std::string array = result.get(row, 1);  // {0,3,0}
        auto& counts = found.at(index);
        std::size_t start = 1;
        while (start < array.size()) {
            std::size_t end = array.find_first_of(",}", start);
            auto count = to_integer(std::string_view(array).substr(start, end - start));
            if (!count) throw failure(fmt::format("unexpected count list \"{}\" from {}", array, target.label()));
            counts.push_back(*count);
            start = end + 1;
        }
    }
    return found;
}

void clear_everywhere_else(pg::Connection& target, std::vector<TextTable> tables, SecretsOutcome& outcome) {
    auto password_fields = password_extrafields(target, tables);
    // llx_const.value and llx_user.api_key have their own steps (and the
    // re-encrypted constants must stay).
    for (auto& table : tables) {
        if (table.name != "llx_const" && table.name != "llx_user") continue;
        std::string handled = table.name == "llx_const" ? "value" : "api_key";
        table.columns.erase(std::remove_if(table.columns.begin(), table.columns.end(),
                                           [&](const TextColumn& column) { return column.name == handled; }),
                            table.columns.end());
    }
    tables.erase(
        std::remove_if(tables.begin(), tables.end(), [](const TextTable& table) { return table.columns.empty(); }),
        tables.end());
    auto counts = count_encrypted(target, tables);
    std::vector<ClearedSecrets> named;
    std::vector<ClearedSecrets> found;
    for (std::size_t index = 0; index < tables.size(); ++index) {
        const auto& table = tables[index];
        for (std::size_t column_index = 0; column_index < table.columns.size(); ++column_index) {
            const auto& column = table.columns[column_index];
            long long values = column_index < counts[index].size() ? counts[index][column_index] : 0;
            bool listed = documented(table, column, password_fields);
            if (values > 0) {
                auto clear = sql::format("UPDATE {0} SET {1} = {2} WHERE {1}::text {3}", qualified(table),
                                         sql::Identifier(column.name), cleared_value(column), encrypted_test());
                exec_without_detail(target, target.text_of(clear), {},
                                    fmt::format("clear the encrypted values of {}", place_name(table, column.name)));
            }
            if (listed || values > 0) {
                (listed ? named : found).push_back(ClearedSecrets{place_name(table, column.name), values});
            }
        }
    }
    outcome.cleared.insert(outcome.cleared.end(), named.begin(), named.end());
    outcome.cleared.insert(outcome.cleared.end(), found.begin(), found.end());
}

}  // namespace

SecretsOutcome make_secrets_safe(pg::Connection& target, const std::optional<InstanceKey>& prod_key,
                                 const std::optional<InstanceKey>& sandbox_key, const std::vector<std::string>& rekey) {
    auto keys = rekey_keys(prod_key, sandbox_key, rekey);
    auto tables = text_tables(target);
    SecretsOutcome outcome;
    std::set<std::string> rekeyed;
    for (const auto& table : tables) {
        if (table.name != "llx_const") continue;
        if (keys) rekeyed.merge(rekey_constants(target, table, rekey, *keys));
        clear_constants(target, table, rekey, outcome);
    }
    for (const auto& name : rekey) {
        (rekeyed.count(name) != 0 ? outcome.rekeyed : outcome.rekey_absent).push_back(name);
    }
    for (const auto& table : tables) {
        if (table.name == "llx_user") clear_api_keys(target, table, outcome);
    }
    clear_everywhere_else(target, std::move(tables), outcome);
    return outcome;
}

}  // namespace sandboxctl::dolibarr
