#include "profiles/declared_channels.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "schema/sql_statements.hpp"

namespace sandboxctl::profiles {
namespace {

constexpr const char* declaration_hint =
    "Declare each channel as a [[channels]] table: name = \"...\", live_when = one SQL boolean expression that is "
    "true while the channel is live (such as \"EXISTS (SELECT 1 FROM partner_target WHERE active)\"), and "
    "switch_off = one SQL statement that switches it off (such as \"UPDATE partner_target SET active = false\"). "
    "Comments are allowed; a second statement and transaction control are not.";

std::string label(const config::ChannelRule& rule) {
    return fmt::format("{}: [[channels]] \"{}\"", rule.origin, rule.name);
}

std::string folded(std::string_view name) {
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

void check_rule(const config::ChannelRule& rule) {
    if (auto problem = schema::expression_problem(rule.live_when)) {
        throw usage_error(fmt::format("{}: live_when is not one SQL expression: {}", label(rule), *problem),
                          declaration_hint);
    }
    auto statements = schema::split_statements(rule.switch_off);
    if (statements.size() != 1) {
        throw usage_error(fmt::format("{}: switch_off is {} SQL statements, not one", label(rule), statements.size()),
                          declaration_hint);
    }
    if (auto statement = schema::find_transaction_control(rule.switch_off)) {
        throw usage_error(fmt::format("{}: switch_off's {} would leave the transaction it runs in", label(rule),
                                      statement->keywords.front()),
                          declaration_hint);
    }
}

void check_names(const std::vector<config::ChannelRule>& rules) {
    for (std::size_t i = 0; i < rules.size(); ++i) {
        for (std::size_t j = 0; j < i; ++j) {
            if (folded(rules[i].name) == folded(rules[j].name)) {
                throw usage_error(
                    fmt::format("{}: the name is declared already at {}", label(rules[i]), rules[j].origin),
                    "Give each [[channels]] table a name of its own: reports and refusals name it.");
            }
        }
    }
}

// Runs `body` with the statement timeout `timeout` (and standard strings,
// which the SQL was checked with), then puts the session's settings back.
template <typename Body>
auto bounded(pg::Connection& conn, std::chrono::milliseconds timeout, Body&& body) {
    auto previous = conn.query_value("SELECT pg_catalog.current_setting('statement_timeout')");
    conn.exec(fmt::format("SET LOCAL statement_timeout = {}", timeout.count()));
    conn.exec("SET LOCAL standard_conforming_strings = on");
    auto result = body();
    conn.exec("SELECT pg_catalog.set_config('statement_timeout', $1, true)", {previous});
    return result;
}

[[noreturn]] void throw_statement_error(const config::ChannelRule& rule, const char* what, const pg::PgError& e,
                                        std::chrono::milliseconds timeout) {
    if (interrupt::requested()) throw e;
    if (e.sqlstate() == "57014") {
        throw failure(fmt::format("{}: {} ran longer than {} ms and was cancelled", label(rule), what, timeout.count()),
                      "Set --statement-timeout (refresh.statement_timeout) to allow it longer.");
    }
    // The primary message only: a DETAIL may quote rows.
    const auto& primary = e.server().primary;
    throw failure(fmt::format("{}: {} failed: {}", label(rule), what, primary.empty() ? e.what() : primary),
                  declaration_hint);
}

struct SwitchedOff {
    std::string name;
    long long rows = 0;
};

class DeclaredProfile final : public Profile {
public:
    DeclaredProfile(const std::vector<config::ChannelRule>& rules, std::chrono::milliseconds timeout)
        : rules_(rules), timeout_(timeout) {}

    void before_clean(pg::Connection&, const rebuild::KeptRows&) override {}
    void before_kept_rows(pg::Connection&) override {}

    void after_load(pg::Connection& target) override {
        const auto transaction = current_transaction(target);
        for (const auto& rule : rules_) {
            long long rows = 0;
            try {
                rows = bounded(target, timeout_, [&] { return target.exec_one(rule.switch_off).affected_rows(); });
            } catch (const pg::PgError& e) {
                throw_statement_error(rule, "switch_off", e, timeout_);
            }
            // Defence in depth: the statement was checked, but nothing may
            // end the rebuild's transaction.
            if (PQtransactionStatus(target.raw()) != PQTRANS_INTRANS || current_transaction(target) != transaction) {
                throw failure(fmt::format("{}: switch_off left the transaction it runs in", label(rule)),
                              declaration_hint);
            }
            switched_.push_back({rule.name, rows});
        }
    }

    std::vector<LiveChannel> live_channels(pg::Connection& target) override { return live(target, rules_, timeout_); }

    Outcome outcome() const override {
        std::ostringstream text;
        fmt::print(text, "\nDeclared channels ([[channels]]):\n");
        auto json = nlohmann::json::array();
        for (const auto& s : switched_) {
            fmt::print(text, "  {:<40} switched off ({} rows changed)\n", s.name, s.rows);
            json.push_back({{"name", s.name}, {"rows", s.rows}});
        }
        fmt::print(text, "  live outgoing channels after the firewall: none\n");
        return {"channels", text.str(), json};
    }

    static std::vector<LiveChannel> live(pg::Connection& conn, const std::vector<config::ChannelRule>& rules,
                                         std::chrono::milliseconds timeout) {
        std::vector<LiveChannel> found;
        for (const auto& rule : rules) {
            std::optional<std::string> value;
            try {
                value = bounded(conn, timeout, [&] {
                    // On lines of its own: a trailing comment cannot reach the parenthesis.
                    return conn.exec_one("SELECT (\n" + rule.live_when + "\n)::boolean").get_optional(0, 0);
                });
            } catch (const pg::PgError& e) {
                throw_statement_error(rule, "live_when", e, timeout);
            }
            // NULL is not "off": only false is.
            if (value != "f") {
                found.push_back({rule.name, fmt::format("[[channels]] at {}", rule.origin),
                                 value ? "live_when is true" : "live_when is NULL (only false counts as off)"});
            }
        }
        return found;
    }

private:
    static std::string current_transaction(pg::Connection& target) {
        return target.query_value("SELECT pg_catalog.pg_current_xact_id()::text");
    }

    std::vector<config::ChannelRule> rules_;
    std::chrono::milliseconds timeout_;
    std::vector<SwitchedOff> switched_;
};

class DeclaredChannels final : public Application {
public:
    DeclaredChannels(std::vector<config::ChannelRule> rules, std::chrono::milliseconds timeout)
        : rules_(std::move(rules)), timeout_(timeout) {}

    std::string_view name() const override { return "channels"; }
    std::unique_ptr<Profile> open(Use) const override { return std::make_unique<DeclaredProfile>(rules_, timeout_); }
    std::vector<LiveChannel> live_channels(pg::Connection& conn) const override {
        return DeclaredProfile::live(conn, rules_, timeout_);
    }
    std::string rule() const override {
        return fmt::format("{} declared in the configuration ([[channels]])", rules_.size());
    }

private:
    std::vector<config::ChannelRule> rules_;
    std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<Application> declared_channels(const std::vector<config::ChannelRule>& rules,
                                               std::chrono::milliseconds statement_timeout) {
    if (rules.empty()) return nullptr;
    for (const auto& rule : rules) check_rule(rule);
    check_names(rules);
    auto timeout = statement_timeout.count() > 0 ? statement_timeout : std::chrono::minutes(1);
    return std::make_unique<DeclaredChannels>(rules, timeout);
}

}  // namespace sandboxctl::profiles
