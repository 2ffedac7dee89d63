#pragma once
// The steps of the side-effect firewall (profiles/dolibarr/firewall.hpp):
// writes to llx_const as every entity reads it, and to the modules' tables.
// Used by the channel declarations (profiles/dolibarr/channel_list.cpp).
#include <fmt/format.h>

#include <string>
#include <string_view>

#include "pg/connection.hpp"
#include "pg/sql.hpp"
#include "profiles/dolibarr/channels.hpp"
#include "profiles/dolibarr/firewall.hpp"

namespace sandboxctl::dolibarr {

// The note on the llx_const rows sandboxctl adds.
inline constexpr const char* sandbox_note = "set by sandboxctl: this database is a sandbox";

// Writes to llx_const so that every entity loads the wanted value: Dolibarr
// reads the rows of entity 0 and of its own entity, its own winning
// (conf.class.php), so every existing row is set, and a row of entity 0 added
// when there is none. Unique key uk_const (name, entity).
class ConstWriter {
public:
    ConstWriter(pg::Connection& conn, const DolibarrTables& tables)
        : conn_(conn), table_(tables.qualified("llx_const")) {}

    // Every entity gets `value`; returns the rows changed or added.
    long long set(const std::string& name, const std::string& value) {
        long long changed = update(name, value, "value IS DISTINCT FROM $2");
        return changed + add_global(name, value);
    }

    // A row of entity 0 with `value` when there is none; returns 1 if added.
    long long add_global(const std::string& name, const std::string& value) {
        return conn_.query_integer(
            sql::format("WITH added AS (INSERT INTO {0} (name, entity, value, type, visible, note) "
                        "SELECT $1::text, 0, $2::text, 'chaine', 0, $3::text WHERE NOT EXISTS "
                        "(SELECT FROM {0} WHERE name = $1::text AND entity = 0) RETURNING 1) "
                        "SELECT count(*) FROM added",
                        table_),
            {name, value, std::string(sandbox_note)});
    }

    // Rows that are on (not empty, not "0") get `value`; a constant that no
    // row sets is off already. Returns the rows changed.
    long long switch_off(const std::string& name, const std::string& value = "0") {
        return update(name, value, "value <> '' AND value <> '0'");
    }

    // Rows with an empty value get `value`; returns the rows changed.
    long long fill_empty(const std::string& name, const std::string& value) {
        return update(name, value, "value = ''");
    }

    // Every row Dolibarr reads as the switch of `module`, in any case and
    // entity, that is on gets "0"; returns the rows changed.
    long long switch_module_off(std::string_view module) {
        return conn_.query_integer(sql::format("WITH changed AS (UPDATE {} SET value = '0' WHERE {} AND value <> '' "
                                               "AND value <> '0' RETURNING 1) SELECT count(*) FROM changed",
                                               table_, module_switch_condition(module)));
    }

    // Rows whose value is neither empty nor "default" get "default".
    long long to_default(const std::string& name) { return update(name, "default", "value NOT IN ('', 'default')"); }

private:
    long long update(const std::string& name, const std::string& value, const sql::Fragment& condition) {
        return conn_.query_integer(sql::format("WITH changed AS (UPDATE {} SET value = $2 WHERE name = $1 AND {} "
                                               "RETURNING 1) SELECT count(*) FROM changed",
                                               table_, condition),
                                   {name, value});
    }

    pg::Connection& conn_;
    sql::QualifiedName table_;
};

// The firewall's steps: each switch it throws, recorded under its channel
// (profiles/dolibarr/channel_list.hpp declares which channel throws which).
class Firewall {
public:
    Firewall(pg::Connection& conn, const DolibarrTables& tables, const Constants& constants, const MailSetting& mail)
        : conn_(conn), tables_(tables), constants_(constants), mail_(mail), consts_(conn, tables) {}

    // llx_const as it was when the firewall started.
    const Constants& constants() const { return constants_; }

    FirewallOutcome take() { return std::move(outcome_); }

    void record(const char* channel, std::string change, long long rows) {
        outcome_.switched.push_back({channel, std::move(change), rows});
    }
    void set(const char* channel, const std::string& name, const std::string& value) {
        record(channel, fmt::format("llx_const {} = {}", name, value), consts_.set(name, value));
    }
    void off(const char* channel, const std::string& name, const std::string& value = "0") {
        record(channel, fmt::format("llx_const {} = {}", name, value.empty() ? "''" : value),
               consts_.switch_off(name, value));
    }
    void module_off(const char* channel, const char* module) {
        record(channel, fmt::format("llx_const MAIN_MODULE_{} = 0 (any case)", module),
               consts_.switch_module_off(module));
    }
    // UPDATE of a module's table; absent table (module never installed): nothing.
    void rows(const char* channel, const char* table, const sql::Fragment& set, const sql::Fragment& condition,
              std::string change) {
        if (!tables_.has(table)) return;
        auto changed = conn_.query_integer(
            sql::format("WITH changed AS (UPDATE {} SET {} WHERE {} RETURNING 1) SELECT count(*) FROM changed",
                        tables_.qualified(table), set, condition));
        record(channel, std::move(change), changed);
    }

    void mail();
    void telemetry();
    void mark_ui();

private:
    pg::Connection& conn_;
    const DolibarrTables& tables_;
    const Constants& constants_;
    const MailSetting& mail_;
    ConstWriter consts_;
    FirewallOutcome outcome_;
};

}  // namespace sandboxctl::dolibarr
