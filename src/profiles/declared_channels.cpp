#include "profiles/declared_channels.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <sstream>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "pg/sql.hpp"
#include "rebuild/post_sql.hpp"
#include "safety/run_lock.hpp"
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

// The same, placed at the key `what` ("live_when" or "switch_off").
std::string label(const config::ChannelRule& rule, std::string_view what) {
    return fmt::format("{}: [[channels]] \"{}\"", what == "live_when" ? rule.live_when_origin : rule.switch_off_origin,
                       rule.name);
}

// The first words a switch_off may start with: statements that change data.
// Not SET, RESET, DISCARD, LOCK, COPY and the like, which would change the
// rebuild's session rather than the sandbox's rows.
constexpr std::array<std::string_view, 7> data_statements = {"UPDATE", "DELETE", "INSERT", "MERGE",
                                                             "WITH",   "SELECT", "CALL"};

std::string folded(std::string_view name) {
    std::string out(name);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

void check_name(const config::ChannelRule& rule) {
    bool blank = std::all_of(rule.name.begin(), rule.name.end(), [](unsigned char c) { return std::isspace(c); });
    bool control =
        std::any_of(rule.name.begin(), rule.name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
    bool padded = !rule.name.empty() && (std::isspace(static_cast<unsigned char>(rule.name.front())) ||
                                         std::isspace(static_cast<unsigned char>(rule.name.back())));
    if (blank || control || padded) {
        throw usage_error(fmt::format("{}: [[channels]] name {} must be words: no control characters, no spaces "
                                      "around",
                                      rule.origin, nlohmann::json(rule.name).dump()),
                          "Reports and refusals print the name on a line of its own: write it as the channel is "
                          "called, such as name = \"partner export\".");
    }
}

void check_rule(const config::ChannelRule& rule) {
    check_name(rule);
    if (auto problem = schema::expression_problem(rule.live_when)) {
        throw usage_error(
            fmt::format("{}: live_when is not one SQL expression: {}", label(rule, "live_when"), *problem),
            declaration_hint);
    }
    auto statements = schema::split_statements(rule.switch_off);
    if (statements.size() != 1) {
        throw usage_error(
            fmt::format("{}: switch_off is {} SQL statements, not one", label(rule, "switch_off"), statements.size()),
            declaration_hint);
    }
    if (auto statement = schema::find_transaction_control(rule.switch_off)) {
        throw usage_error(fmt::format("{}: switch_off's {} would leave the transaction it runs in",
                                      label(rule, "switch_off"), statement->keywords.front()),
                          declaration_hint);
    }
    const auto& first = statements.front().keywords.front();
    if (std::find(data_statements.begin(), data_statements.end(), first) == data_statements.end()) {
        throw usage_error(fmt::format("{}: switch_off is a {} statement; it must change data (UPDATE, DELETE, "
                                      "INSERT, MERGE, WITH, SELECT or CALL)",
                                      label(rule, "switch_off"), first),
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

// Runs `body` with the statement timeout `timeout` and standard strings
// (which the SQL was checked with), set again before each statement: the
// one before may have changed them. Nothing is put back: a rebuild applies
// its own settings again after the switches (rebuild/steps.cpp) and checks
// in a subtransaction it rolls back, and app-check's transaction ends.
template <typename Body>
auto bounded(pg::Connection& conn, std::chrono::milliseconds timeout, Body&& body) {
    conn.exec(
        sql::format("SET LOCAL statement_timeout = {}; SET LOCAL standard_conforming_strings = on", timeout.count()));
    return body();
}

[[noreturn]] void throw_statement_error(const config::ChannelRule& rule, const char* what, const pg::PgError& e,
                                        std::chrono::milliseconds timeout) {
    if (interrupt::requested()) throw e;
    if (e.sqlstate() == "57014") {
        throw failure(
            fmt::format("{}: {} ran longer than {} ms and was cancelled", label(rule, what), what, timeout.count()),
            "Set --statement-timeout (refresh.statement_timeout) to allow it longer.");
    }
    // Without the values a data error quotes, nor a DETAIL: they may be rows' values.
    throw failure(fmt::format("{}: {} failed: {}", label(rule, what), what, e.primary_without_values()),
                  declaration_hint);
}

// Whether the channel counts as live: its live_when is true or NULL (only
// false is off). IS NOT FALSE takes a boolean only (1 or 'on' text is an
// error, not a guess), and the expression stands on lines of its own, so a
// trailing comment cannot reach the closing parenthesis. One row, one value:
// a set-returning expression is refused rather than judged by a first row.
// The user's SQL by design: check_rule found it one expression.
bool live_when_holds(pg::Connection& conn, const config::ChannelRule& rule, std::chrono::milliseconds timeout) {
    pg::Result result(nullptr);
    auto query = sql::format("SELECT (\n{}\n) IS NOT FALSE", sql::Fragment::user_sql(rule.live_when));
    try {
        result = bounded(conn, timeout, [&] { return conn.exec_one(query); });
    } catch (const pg::PgError& e) {
        throw_statement_error(rule, "live_when", e, timeout);
    }
    if (result.rows() != 1) {
        throw failure(fmt::format("{}: live_when gave {} rows, not one value", label(rule, "live_when"), result.rows()),
                      declaration_hint);
    }
    return result.get_bool(0, 0);
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
        const auto transaction = rebuild::current_transaction(target);
        for (const auto& rule : rules_) {
            long long rows = 0;
            try {
                // The user's SQL by design: check_rule found it one data statement.
                auto switch_off = sql::Fragment::user_sql(rule.switch_off);
                rows = bounded(target, timeout_, [&] { return target.exec_one(switch_off).affected_rows(); });
            } catch (const pg::PgError& e) {
                throw_statement_error(rule, "switch_off", e, timeout_);
            }
            // Defence in depth: the statement was checked, but nothing may
            // end the rebuild's transaction.
            if (PQtransactionStatus(target.raw()) != PQTRANS_INTRANS ||
                rebuild::current_transaction(target) != transaction) {
                throw failure(fmt::format("{}: switch_off left the transaction it runs in", label(rule, "switch_off")),
                              declaration_hint);
            }
            // The user's SQL runs in the session that holds the run lock.
            safety::require_run_lock(target, fmt::format("{}'s switch_off", label(rule, "switch_off")));
            switched_.push_back({rule.name, rows});
        }
    }

    std::vector<LiveChannel> live_channels(pg::Connection& target) override {
        return live(target, rules_, timeout_, [&](const config::ChannelRule& rule) {
            safety::require_run_lock(target, fmt::format("{}'s live_when", label(rule, "live_when")));
        });
    }

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

    // `after_each` runs after each live_when (the rebuild's run-lock check).
    static std::vector<LiveChannel> live(pg::Connection& conn, const std::vector<config::ChannelRule>& rules,
                                         std::chrono::milliseconds timeout,
                                         const std::function<void(const config::ChannelRule&)>& after_each = {}) {
        std::vector<LiveChannel> found;
        for (const auto& rule : rules) {
            bool holds = live_when_holds(conn, rule, timeout);
            if (after_each) after_each(rule);
            if (holds) {
                found.push_back({rule.name, fmt::format("[[channels]] at {}", rule.origin), "live_when is not false"});
            }
        }
        return found;
    }

private:
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
