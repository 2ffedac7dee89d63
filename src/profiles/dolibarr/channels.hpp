#pragma once
// The outgoing channels through which a Dolibarr instance acts on the real
// world (mail, SMS, scheduled jobs, webhooks, payments, ...), read from its
// database: what `app-check` lists and what the profile re-checks after the
// firewall (dolibarr/firewall.hpp). Every check reads the database only.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"
#include "pg/sql.hpp"
#include "profiles/profile.hpp"

namespace sandboxctl::dolibarr {

// [dolibarr] mail = "sink:HOST:PORT:ADDRESS": every mail goes over SMTP to
// HOST:PORT, addressed to ADDRESS only.
struct MailSink {
    std::string host;  // a name: Dolibarr's SMTP class refuses IP addresses
    int port = 0;
    std::string address;
};

// [dolibarr] mail: "disable" (no sink) or "sink:HOST:PORT:ADDRESS".
struct MailSetting {
    std::optional<MailSink> sink;
};

// Parses the setting; a malformed one is a usage error that shows the format.
MailSetting parse_mail_setting(std::string_view text);

// Where the Dolibarr tables live (the schema holding llx_const) and which of
// them exist: a module that was never installed has no tables, and its
// channel cannot be live.
class DolibarrTables {
public:
    // Throws a failure when the database holds no llx_const table.
    static DolibarrTables find(pg::Connection& conn);
    // Whether it holds one.
    static bool present(pg::Connection& conn);
    bool has(std::string_view table) const { return present_.count(std::string(table)) != 0; }
    // "schema"."table", for SQL.
    sql::QualifiedName qualified(std::string_view table) const;
    const std::string& schema() const { return schema_; }

private:
    std::string schema_;
    std::set<std::string> present_;
};

// llx_const as the application sees it: Dolibarr loads the rows of entity 0
// and of the current entity, the latter winning (conf.class.php). Values are
// held in memory to evaluate the checks; they are never printed.
class Constants {
public:
    static Constants read(pg::Connection& conn, const DolibarrTables& tables);
    // Every entity the application can run as: 1, those with llx_const rows,
    // and those of llx_entity (multi-company) when it exists.
    const std::set<long long>& entities() const { return entities_; }
    // The value the application loads for `name` in `entity`, if any.
    std::optional<std::string> value(std::string_view name, long long entity) const;
    // PHP's truth of getDolGlobalString(): set, not empty and not "0".
    bool is_on(std::string_view name, long long entity) const;
    // Names of every row starting with `prefix`.
    std::set<std::string> names_starting_with(std::string_view prefix) const;
    // Whether module `module` ("ZAPIER") is enabled in `entity`, as
    // conf.class.php decides: any row named MAIN_MODULE_<module> (the
    // prefix as written, the module's name in any case) of entity 0 or
    // `entity` whose value PHP finds true enables it; a "0" row of the
    // entity does not disable what entity 0 enabled.
    bool module_on(std::string_view module, long long entity) const {
        return module_switch(module, entity).has_value();
    }
    // The name of a row that enables `module` in `entity`, if one does.
    std::optional<std::string> module_switch(std::string_view module, long long entity) const;

private:
    std::map<std::string, std::map<long long, std::string>> rows_;  // name -> entity -> value
    std::set<long long> entities_;
};

// The SQL condition on llx_const.name that matches every row Dolibarr reads
// as the switch of module `module` (see Constants::module_on).
sql::Fragment module_switch_condition(std::string_view module);

// Where the firewall points MAIN_URL_FOR_PING: .invalid never resolves
// (RFC 6761), so even a forced ping goes nowhere.
inline constexpr std::string_view unresolvable_ping_url = "https://ping.invalid/";

using profiles::LiveChannel;

// Every live channel. `mail` is what the sandbox is configured for (the
// refresh's re-check); without it (app-check with no [dolibarr] section) mail
// counts as safe when MAIN_DISABLE_ALL_MAILS is on, or when
// MAIN_MAIL_FORCE_SENDTO is set and no per-context send mode overrides the
// main one (docs/dolibarr.md says why).
std::vector<LiveChannel> live_channels(pg::Connection& conn, const std::optional<MailSetting>& mail);

}  // namespace sandboxctl::dolibarr
