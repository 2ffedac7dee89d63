#include "profiles/dolibarr/channels.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "core/number.hpp"
#include "profiles/dolibarr/channel_checks.hpp"
#include "profiles/dolibarr/channel_list.hpp"

namespace sandboxctl::dolibarr {
namespace {

constexpr const char* mail_format_hint =
    "Write mail = \"disable\", or mail = \"sink:HOST:PORT:ADDRESS\", e.g. \"sink:localhost:1025:sink@sandbox.test\"; "
    "HOST must be a host name (Dolibarr's SMTP client refuses IP addresses).";

Error mail_error(std::string_view text, std::string_view reason) {
    return usage_error(fmt::format("invalid dolibarr.mail \"{}\": {}", text, reason), mail_format_hint);
}

std::vector<std::string> split(std::string_view text, char separator) {
    std::vector<std::string> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == separator) {
            parts.emplace_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

bool is_ip_address(const std::string& host) {
    unsigned char buffer[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, host.c_str(), buffer) == 1 || inet_pton(AF_INET6, host.c_str(), buffer) == 1) return true;
    // inet_aton's short forms ("127.1") too: digits and dots only.
    return std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

bool is_host_name(const std::string& host) {
    return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    });
}

int parse_port(std::string_view text, const std::string& port) {
    // Digits only: to_integer alone would take "-1" and "+1" for numbers.
    auto value = std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ? to_integer(port)
                                                                                                    : std::nullopt;
    if (!value) throw mail_error(text, fmt::format("port \"{}\" is not a number", port));
    if (*value < 1 || *value > 65535) throw mail_error(text, fmt::format("port {} is out of range 1-65535", *value));
    return static_cast<int>(*value);
}

bool is_mail_address(const std::string& address) {
    auto at = address.find('@');
    return at != std::string::npos && at > 0 && at + 1 < address.size() &&
           address.find('@', at + 1) == std::string::npos && std::none_of(address.begin(), address.end(), [](char c) {
               return c == ',' || c == ';' || c == '<' || c == '>' || c == '"' || static_cast<unsigned char>(c) <= ' ';
           });
}

}  // namespace

void Checker::mail() {
    for (long long e : constants_.entities()) mail_in(e, mail_);
}

namespace {

// Per-context send modes (MAIN_MAIL_SENDMODE_<CONTEXT>, CMailFile.class.php)
// other than "default" send through their own server settings.
std::vector<std::string> active_overrides(const Constants& constants, long long entity) {
    std::vector<std::string> active;
    for (const auto& name : constants.names_starting_with("MAIN_MAIL_SENDMODE_")) {
        auto value = constants.value(name, entity);
        if (value && !value->empty() && *value != "default") active.push_back(name);
    }
    return active;
}

}  // namespace

void Checker::mail_in(long long e, const std::optional<MailSetting>& expected) {
    if (constants_.is_on("MAIN_DISABLE_ALL_MAILS", e)) return;
    if (expected && expected->sink) return mail_sink(e, *expected->sink);
    if (expected) {
        return add("mail", const_where("MAIN_DISABLE_ALL_MAILS", e),
                   "mail is not disabled (the configuration says mail = \"disable\")");
    }
    if (value_or_empty("MAIN_MAIL_FORCE_SENDTO", e).empty()) {
        return add("mail", const_where("MAIN_DISABLE_ALL_MAILS", e),
                   "mail is neither disabled nor forced to one recipient (MAIN_MAIL_FORCE_SENDTO is not set)");
    }
    for (const auto& name : active_overrides(constants_, e)) {
        add("mail (per-context override)", const_where(name, e),
            fmt::format("send mode \"{}\" uses its own server settings, which no configured sink vouches for",
                        value_or_empty(name, e)));
    }
}

void Checker::mail_sink(long long e, const MailSink& sink) {
    auto expect = [&](const std::string& name, const std::string& wanted, const char* what) {
        auto actual = value_or_empty(name, e);
        if (actual != wanted) {
            add(name.starts_with("MAIN_MAIL_SENDMODE_") || name.starts_with("MAIN_MAIL_SMTP_SERVER_") ||
                        name.starts_with("MAIN_MAIL_SMTP_PORT_")
                    ? "mail (per-context override)"
                    : "mail",
                const_where(name, e), fmt::format("{} is \"{}\", not the sink's \"{}\"", what, actual, wanted));
        }
    };
    expect("MAIN_MAIL_FORCE_SENDTO", sink.address, "the forced recipient");
    expect("MAIN_MAIL_SENDMODE", "smtps", "the send mode");
    expect("MAIN_MAIL_SMTP_SERVER", sink.host, "the SMTP server");
    expect("MAIN_MAIL_SMTP_PORT", std::to_string(sink.port), "the SMTP port");
    for (const auto& name : active_overrides(constants_, e)) {
        auto context = name.substr(std::string_view("MAIN_MAIL_SENDMODE_").size());
        expect(name, "smtps", "the per-context send mode");
        expect("MAIN_MAIL_SMTP_SERVER_" + context, sink.host, "the per-context SMTP server");
        expect("MAIN_MAIL_SMTP_PORT_" + context, std::to_string(sink.port), "the per-context SMTP port");
    }
}

void Checker::table_rows(const char* channel, const char* table, const sql::Fragment& condition,
                         const char* label_column, const char* detail, const char* module) {
    if (!tables_.has(table)) return;
    auto rows = conn_.exec(sql::format("SELECT rowid, COALESCE({}::text, ''), COALESCE(entity, 1) FROM {} WHERE {} "
                                       "ORDER BY rowid",
                                       sql::Identifier(label_column), tables_.qualified(table), condition));
    for (int i = 0; i < rows.rows(); ++i) {
        long long entity = rows.get_int(i, 2);
        if (module && !module_on(module, entity)) continue;
        add(channel, fmt::format("{} rowid {}", table, rows.get(i, 0)),
            fmt::format("\"{}\" {}{}", rows.get(i, 1), detail,
                        module ? fmt::format(" and MAIN_MODULE_{} is on (entity {})", module, entity) : ""));
    }
}

void Checker::notifications() {
    for (long long e : constants_.entities()) {
        if (!module_on("NOTIFICATION", e)) continue;
        long long subscriptions = 0;
        if (tables_.has("llx_notify_def")) {
            subscriptions =
                conn_.query_integer(sql::format("SELECT count(*) FROM {} WHERE COALESCE(entity, 1) IN (0, $1::int)",
                                                tables_.qualified("llx_notify_def")),
                                    {std::to_string(e)});
        }
        std::vector<std::string> fixed;
        for (const auto& name : constants_.names_starting_with("NOTIFICATION_FIXEDEMAIL_")) {
            if (constants_.is_on(name, e)) fixed.push_back(name);
        }
        if (subscriptions || !fixed.empty()) {
            add("notifications", const_where("MAIN_MODULE_NOTIFICATION", e),
                fmt::format("the notification module is on, with {} subscriptions in llx_notify_def and {} "
                            "NOTIFICATION_FIXEDEMAIL_* addresses",
                            subscriptions, fixed.size()));
        }
    }
}

void Checker::reminders() {
    if (!tables_.has("llx_actioncomm_reminder")) return;
    auto pending =
        conn_.query_integer(sql::format("SELECT count(*) FROM {} WHERE status = 0 AND typeremind IN ('email', 'sms')",
                                        tables_.qualified("llx_actioncomm_reminder")));
    if (pending) {
        add("agenda reminders", "llx_actioncomm_reminder status 0",
            fmt::format("{} email or SMS reminders are pending", pending));
    }
}

void Checker::stripe() {
    require_off("payments (Stripe)", "STRIPE_LIVE", "Stripe is in live mode");
    for (long long e : constants_.entities()) {
        for (const auto& name : constants_.names_starting_with("STRIPE_LIVE_")) {
            if (!value_or_empty(name, e).empty())
                add("payments (Stripe)", const_where(name, e), "a live Stripe key is set");
        }
    }
}

void Checker::paypal() {
    for (long long e : constants_.entities()) {
        if (module_on("PAYPAL", e) && !constants_.is_on("PAYPAL_API_SANDBOX", e)) {
            add("payments (PayPal)", const_where("PAYPAL_API_SANDBOX", e),
                "the PayPal module is on and not in sandbox mode");
        }
    }
}

void Checker::currency_rates() {
    for (long long e : constants_.entities()) {
        if (module_on("MULTICURRENCY", e) && !constants_.is_on("MULTICURRENCY_DISABLE_SYNC_CURRENCYLAYER", e)) {
            add("currency rates", const_where("MULTICURRENCY_DISABLE_SYNC_CURRENCYLAYER", e),
                "the currency module is on and its rate sync is not disabled");
        }
    }
}

void Checker::external_calendars() {
    for (long long e : constants_.entities()) {
        if (constants_.is_on("AGENDA_DISABLE_EXT", e)) continue;
        for (const auto& name : constants_.names_starting_with("AGENDA_EXT_SRC")) {
            if (constants_.is_on(name, e)) {
                add("external calendars", const_where(name, e),
                    "an external calendar is fetched (AGENDA_DISABLE_EXT is not on)");
            }
        }
    }
}

void Checker::module_live(const char* channel, const char* module) {
    for (long long e : constants_.entities()) {
        if (auto name = constants_.module_switch(module, e)) {
            add(channel, const_where(*name, e),
                "the module is on (its switch in any case, in entity 0 or this entity)");
        }
    }
}

void Checker::receipt_printers() {
    // No entity filter by module: TakePOS prints whatever ReceiptPrinter says.
    if (!tables_.has("llx_printer_receipt")) return;
    auto rows =
        conn_.exec(sql::format("SELECT rowid, COALESCE(name, ''), fk_type FROM {} WHERE fk_type IN (2, 3, 4, 5) "
                               "ORDER BY rowid",
                               tables_.qualified("llx_printer_receipt")));
    static const char* const kinds[] = {
        "", "", "a file or device", "a network printer", "a Windows (SMB) printer", "a CUPS queue"};
    for (int i = 0; i < rows.rows(); ++i) {
        add("receipt printers", fmt::format("llx_printer_receipt rowid {}", rows.get(i, 0)),
            fmt::format("\"{}\" prints to {} (fk_type {})", rows.get(i, 1), kinds[rows.get_int(i, 2)], rows.get(i, 2)));
    }
}

void Checker::click_to_dial() {
    for (long long e : constants_.entities()) {
        if (auto name = constants_.module_switch("CLICKTODIAL", e)) {
            add("click-to-dial", const_where(*name, e),
                "the click-to-dial module is on (users' own URLs override "
                "CLICKTODIAL_URL)");
        }
    }
    if (!tables_.has("llx_user_clicktodial")) return;
    auto users = conn_.query_integer(
        sql::format("SELECT count(*) FROM {} WHERE COALESCE(url, '') <> '' OR COALESCE(pass, '') <> ''",
                    tables_.qualified("llx_user_clicktodial")));
    if (users) {
        add("click-to-dial", "llx_user_clicktodial",
            fmt::format("{} users have their own click-to-dial URL or password", users));
    }
}

void Checker::ftp() {
    for (long long e : constants_.entities()) {
        for (const char* prefix : {"FTP_SERVER_", "FTP_PASSWORD_"}) {
            for (const auto& name : constants_.names_starting_with(prefix)) {
                if (!value_or_empty(name, e).empty()) {
                    add("FTP", const_where(name, e),
                        std::string_view(prefix) == "FTP_SERVER_" ? "an FTP server is set"
                                                                  : "an FTP password is stored in plain text");
                }
            }
        }
    }
}

void Checker::telemetry() {
    // main.inc.php pings only until both the date and the id are saved; the id
    // "disabled" stops it for every instance id.
    auto check = [&](const char* date, const char* id, long long e) {
        if (value_or_empty(date, e).empty() || value_or_empty(id, e) != "disabled") {
            add("telemetry", const_where(id, e),
                fmt::format("the first-use ping is not disabled ({} and {}='disabled')", date, id));
        }
    };
    for (long long e : constants_.entities()) {
        if (value_or_empty("MAIN_URL_FOR_PING", e) != unresolvable_ping_url) {
            add("telemetry", const_where("MAIN_URL_FOR_PING", e),
                fmt::format("a forced ping would reach the vendor (MAIN_URL_FOR_PING is not \"{}\")",
                            unresolvable_ping_url));
        }
        check("MAIN_FIRST_PING_OK_DATE", "MAIN_FIRST_PING_OK_ID", e);
        if (module_on("BLOCKEDLOG", e)) check("MAIN_FIRST_REGISTRATION_OK_DATE", "MAIN_FIRST_REGISTRATION_OK_ID", e);
    }
}

MailSetting parse_mail_setting(std::string_view text) {
    if (text == "disable") return {};
    if (!text.starts_with("sink:")) throw mail_error(text, "it is neither \"disable\" nor \"sink:...\"");
    auto parts = split(text.substr(5), ':');
    if (parts.size() != 3) throw mail_error(text, "a sink is HOST:PORT:ADDRESS, three parts");
    MailSink sink;
    sink.host = parts[0];
    if (!is_host_name(sink.host)) throw mail_error(text, fmt::format("\"{}\" is not a host name", sink.host));
    if (is_ip_address(sink.host)) {
        throw mail_error(text, fmt::format("\"{}\" is an IP address; Dolibarr refuses those, use a name such as "
                                           "localhost",
                                           sink.host));
    }
    sink.port = parse_port(text, parts[1]);
    sink.address = parts[2];
    if (!is_mail_address(sink.address)) {
        throw mail_error(text, fmt::format("\"{}\" is not one mail address", sink.address));
    }
    return {sink};
}

namespace {

pg::Result const_table_schemas(pg::Connection& conn) {
    return conn.exec(
        "SELECT n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = 'llx_const' AND c.relkind IN ('r', 'p') ORDER BY n.nspname <> 'public', n.nspname");
}

}  // namespace

bool DolibarrTables::present(pg::Connection& conn) { return const_table_schemas(conn).rows() > 0; }

DolibarrTables DolibarrTables::find(pg::Connection& conn) {
    auto schemas = const_table_schemas(conn);
    if (schemas.rows() == 0) {
        throw failure(fmt::format("could not find Dolibarr's tables in database \"{}\": there is no llx_const table",
                                  conn.database()),
                      "Point --target (or [target]) at a Dolibarr database; sandboxctl expects the default table "
                      "prefix llx_.");
    }
    DolibarrTables tables;
    tables.schema_ = schemas.get(0, 0);
    auto names = conn.exec(
        "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND c.relname LIKE 'llx\\_%'",
        {tables.schema_});
    for (int i = 0; i < names.rows(); ++i) tables.present_.insert(names.get(i, 0));
    return tables;
}

sql::QualifiedName DolibarrTables::qualified(std::string_view table) const { return {schema_, table}; }

Constants Constants::read(pg::Connection& conn, const DolibarrTables& tables) {
    Constants constants;
    constants.entities_.insert(1);
    auto rows = conn.exec(sql::format("SELECT name, entity, value FROM {}", tables.qualified("llx_const")));
    for (int i = 0; i < rows.rows(); ++i) {
        long long entity = rows.get_int(i, 1);
        constants.rows_[rows.get(i, 0)][entity] = rows.get(i, 2);
        if (entity > 0) constants.entities_.insert(entity);
    }
    if (tables.has("llx_entity")) {
        auto entities = conn.exec(sql::format("SELECT rowid FROM {}", tables.qualified("llx_entity")));
        for (int i = 0; i < entities.rows(); ++i) constants.entities_.insert(entities.get_int(i, 0));
    }
    return constants;
}

std::optional<std::string> Constants::value(std::string_view name, long long entity) const {
    auto row = rows_.find(std::string(name));
    if (row == rows_.end()) return std::nullopt;
    if (auto own = row->second.find(entity); own != row->second.end()) return own->second;
    if (auto global = row->second.find(0); global != row->second.end()) return global->second;
    return std::nullopt;
}

bool Constants::is_on(std::string_view name, long long entity) const {
    auto v = value(name, entity);
    return v && !v->empty() && *v != "0";
}

std::set<std::string> Constants::names_starting_with(std::string_view prefix) const {
    std::set<std::string> names;
    for (auto it = rows_.lower_bound(std::string(prefix)); it != rows_.end() && it->first.starts_with(prefix); ++it) {
        names.insert(it->first);
    }
    return names;
}

std::optional<std::string> Constants::module_switch(std::string_view module, long long entity) const {
    constexpr std::string_view prefix = "MAIN_MODULE_";
    auto same_module = [&](std::string_view name) {
        auto suffix = name.substr(prefix.size());
        return suffix.size() == module.size() &&
               std::equal(suffix.begin(), suffix.end(), module.begin(), [](char a, char b) {
                   return std::toupper(static_cast<unsigned char>(a)) == std::toupper(static_cast<unsigned char>(b));
               });
    };
    for (auto it = rows_.lower_bound(std::string(prefix)); it != rows_.end() && it->first.starts_with(prefix); ++it) {
        if (!same_module(it->first)) continue;
        for (long long e : {0LL, entity}) {
            auto row = it->second.find(e);
            if (row != it->second.end() && !row->second.empty() && row->second != "0") return it->first;
        }
    }
    return std::nullopt;
}

sql::Fragment module_switch_condition(std::string_view module) {
    // COLLATE "C": upper() then changes ASCII letters only, as PHP's
    // case-insensitive match of [0-9A-Z_] does.
    return sql::format("(name LIKE 'MAIN\\_MODULE\\_%' AND upper(substr(name, 13) COLLATE \"C\") = {})",
                       sql::Literal(module));
}

std::vector<LiveChannel> live_channels(pg::Connection& conn, const std::optional<MailSetting>& mail) {
    auto tables = DolibarrTables::find(conn);
    auto constants = Constants::read(conn, tables);
    Checker check(conn, tables, constants, mail);
    for (const auto& channel : dolibarr_channels()) channel.live(check);
    return check.take();
}

}  // namespace sandboxctl::dolibarr
