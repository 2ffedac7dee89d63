#pragma once
// The checks of app-check and of the re-check (profiles/dolibarr/channels.hpp):
// what keeps each outgoing channel live, read from the database only.
#include <fmt/format.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pg/connection.hpp"
#include "pg/sql.hpp"
#include "profiles/dolibarr/channels.hpp"

namespace sandboxctl::dolibarr {

// "llx_const NAME (entity N)": where a constant keeps a channel live.
inline std::string const_where(std::string_view name, long long entity) {
    return fmt::format("llx_const {} (entity {})", name, entity);
}

// The live-channel checks, each appending what it finds live (the channel
// declarations, profiles/dolibarr/channel_list.cpp, say which channel runs
// which).
class Checker {
public:
    // `mail`: what the sandbox is configured for (see live_channels).
    Checker(pg::Connection& conn, const DolibarrTables& tables, const Constants& constants,
            const std::optional<MailSetting>& mail)
        : conn_(conn), tables_(tables), constants_(constants), mail_(mail) {}

    std::vector<LiveChannel> take() { return std::move(live_); }

    void add(std::string channel, std::string where, std::string detail) {
        live_.push_back({std::move(channel), std::move(where), std::move(detail)});
    }

    // A constant whose being on is the channel itself (SMS not disabled, ...).
    void require_on(const char* channel, const char* name, const char* detail) {
        for (long long e : constants_.entities()) {
            if (!constants_.is_on(name, e)) add(channel, const_where(name, e), detail);
        }
    }
    void require_off(const char* channel, const char* name, const char* detail) {
        for (long long e : constants_.entities()) {
            if (constants_.is_on(name, e)) add(channel, const_where(name, e), detail);
        }
    }
    bool module_on(const char* module, long long entity) const { return constants_.module_on(module, entity); }

    void mail();
    // The rows of `table` that match `condition`, each shown by its
    // `label_column`.
    void table_rows(const char* channel, const char* table, const sql::Fragment& condition, const char* label_column,
                    const char* detail, const char* module = nullptr);
    void notifications();
    void reminders();
    void stripe();
    void paypal();
    void currency_rates();
    void external_calendars();
    // A module the firewall switches off, on in some entity: it reaches out
    // however its rows look.
    void module_live(const char* channel, const char* module);
    void receipt_printers();
    void click_to_dial();
    void ftp();
    void telemetry();

private:
    void mail_in(long long entity, const std::optional<MailSetting>& expected);
    void mail_sink(long long entity, const MailSink& sink);
    std::string value_or_empty(std::string_view name, long long entity) const {
        return constants_.value(name, entity).value_or("");
    }

    pg::Connection& conn_;
    const DolibarrTables& tables_;
    const Constants& constants_;
    const std::optional<MailSetting>& mail_;
    std::vector<LiveChannel> live_;
};

}  // namespace sandboxctl::dolibarr
