#include "profiles/dolibarr/profile.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "profiles/dolibarr/conf_php.hpp"
#include "rebuild/owned_sequences.hpp"

namespace sandboxctl::dolibarr {
namespace {

const char* mode_name(ProfileMode mode) { return mode == ProfileMode::refresh ? "refresh" : "reset"; }

// A kept llx_const row is the sandbox's own value, encrypted (if at all)
// with the sandbox's key; re-keying it with prod's key would refuse the
// refresh or garble it. The two settings contradict each other.
void require_rekey_not_kept(const std::vector<std::string>& rekey, const rebuild::KeptRows& kept) {
    if (rekey.empty()) return;
    auto kept_names = kept.values_of("llx_const", "name");
    for (const auto& name : rekey) {
        if (std::find(kept_names.begin(), kept_names.end(), name) == kept_names.end()) continue;
        throw usage_error(
            fmt::format("[dolibarr].rekey names llx_const \"{}\", which a [[refresh.keep]] rule keeps", name),
            "Kept rows are the sandbox's own and are never cleared or re-keyed: remove the name from "
            "rekey to keep the sandbox's value, or narrow the rule's where to re-key prod's value.");
    }
}

}  // namespace

DolibarrProfile::DolibarrProfile(const DolibarrSettings& settings, ProfileMode mode)
    : settings_(settings), mail_(parse_mail_setting(settings.mail)) {
    report_.mode = mode;
    if (mode == ProfileMode::refresh) {
        sandbox_key_ = read_instance_key(settings_.sandbox_conf, settings_.base_dir, "the sandbox's conf.php");
        if (!settings_.prod_conf.empty()) {
            prod_key_ = read_instance_key(settings_.prod_conf, settings_.base_dir, "prod's conf.php");
        }
        // With prod's key, the sandbox decrypts every secret that comes with
        // prod's rows, and what it encrypts prod can read: the two instances
        // must differ. The id itself is never shown.
        if (prod_key_ && same_instance(*prod_key_, *sandbox_key_)) {
            throw Error(ExitCode::refused,
                        "refusing to refresh: [dolibarr] prod_conf and sandbox_conf hold the same instance id, so "
                        "prod's encrypted secrets would decrypt in the sandbox",
                        "Give the sandbox its own $dolibarr_main_instance_unique_id in its conf.php (Dolibarr's "
                        "installer makes a random one), and check that prod_conf and sandbox_conf name two "
                        "different instances.");
        }
    }
}

void DolibarrProfile::before_clean(pg::Connection& target, const rebuild::KeptRows& kept) {
    if (report_.mode == ProfileMode::refresh) require_rekey_not_kept(settings_.rekey, kept);
    kept_ = KeptUsers::capture(target, settings_.keep_users);
}

void DolibarrProfile::before_kept_rows(pg::Connection& target) {
    // A full reset loads a snapshot of the sandbox, whose rows were made safe
    // when they came from prod; clearing them again would destroy the values
    // the sandbox re-keyed (or that were set in it) since. Only a refresh,
    // whose rows are prod's, clears and re-keys secrets, and only the loaded
    // rows: the kept rows are the sandbox's own.
    if (report_.mode == ProfileMode::refresh) {
        report_.secrets = make_secrets_safe(target, prod_key_, sandbox_key_, settings_.rekey);
    }
}

void DolibarrProfile::after_load(pg::Connection& target) {
    // Prod's own sequences may lag behind its rows (common after a migration);
    // the profile's inserts take default rowids, so the sandbox's sequences of
    // the tables it writes are moved past their rows first.
    auto tables = DolibarrTables::find(target);
    for (const char* table :
         {"llx_const", "llx_user", "llx_user_rights", "llx_usergroup_user", "llx_user_param", "llx_user_extrafields"}) {
        if (tables.has(table)) rebuild::advance_owned_sequences(target, tables.qualified(table));
    }
    if (kept_) {
        report_.users = kept_->restore(target);
        for (const auto& user : report_.users.users) {
            if (!user.found) log::warning("kept user \"{}\" is not in the sandbox: nothing to keep", user.login);
        }
    }
    report_.firewall = apply_firewall(target, mail_);
    log::detail("firewall: {} rows changed", report_.firewall.rows_changed());
}

std::vector<LiveChannel> DolibarrProfile::live_channels(pg::Connection& target) {
    return dolibarr::live_channels(target, mail_);
}

void print_text(const ProfileReport& r, std::ostream& out) {
    fmt::print(out, "\nDolibarr profile ({}):\n", mode_name(r.mode));
    if (r.secrets) {
        long long cleared = 0;
        for (const auto& c : r.secrets->cleared) cleared += c.values;
        fmt::print(out, "  secrets cleared: {} values in {} places\n", cleared, r.secrets->cleared.size());
        for (const auto& c : r.secrets->cleared) fmt::print(out, "    {:<48} {:>6}\n", c.place, c.values);
        if (!r.secrets->rekeyed.empty()) {
            fmt::print(out, "  re-keyed for the sandbox: {}\n", fmt::join(r.secrets->rekeyed, ", "));
        }
        if (!r.secrets->rekey_absent.empty()) {
            fmt::print(out, "  rekey names prod has no encrypted value for: {}\n",
                       fmt::join(r.secrets->rekey_absent, ", "));
        }
    }
    for (const auto& u : r.users.users) {
        if (!u.found) {
            fmt::print(out, "  kept user {}: not in the sandbox, nothing kept\n", u.login);
            continue;
        }
        fmt::print(out, "  kept user {}: rowid {}{}{}\n", u.login, u.rowid,
                   u.rowid != u.sandbox_rowid ? fmt::format(" (was {})", u.sandbox_rowid) : "",
                   u.prod_user.empty() ? "" : "; " + u.prod_user);
        if (!u.dropped_groups.empty()) {
            fmt::print(out, "    groups prod does not have, not restored: {}\n", fmt::join(u.dropped_groups, ", "));
        }
        if (!u.cleared_columns.empty()) {
            fmt::print(out, "    columns set to NULL (a prod user holds the value): {}\n",
                       fmt::join(u.cleared_columns, ", "));
        }
        if (!u.cleared_references.empty()) {
            fmt::print(out, "    references set to NULL (the record they named in the sandbox is not prod's): {}\n",
                       fmt::join(u.cleared_references, "; "));
        }
    }
    fmt::print(out, "  mail: {}\n", r.firewall.mail);
    fmt::print(out, "  switched off: {} rows changed\n", r.firewall.rows_changed());
    for (const auto& s : r.firewall.switched) {
        if (s.rows) fmt::print(out, "    {:<28} {:<60} {:>6}\n", s.channel, s.change, s.rows);
    }
    fmt::print(out, "  application title: {}\n", r.firewall.application_title);
    fmt::print(out, "  live outgoing channels after the firewall: none\n");
}

profiles::Outcome DolibarrProfile::outcome() const {
    std::ostringstream text;
    print_text(report_, text);
    return {"dolibarr", text.str(), to_json(report_)};
}

nlohmann::json to_json(const ProfileReport& r) {
    nlohmann::json doc;
    doc["mode"] = mode_name(r.mode);
    doc["secrets"] = nullptr;
    if (r.secrets) {
        auto& s = doc["secrets"];
        s["cleared"] = nlohmann::json::array();
        for (const auto& c : r.secrets->cleared) s["cleared"].push_back({{"place", c.place}, {"values", c.values}});
        s["rekeyed"] = r.secrets->rekeyed;
        s["rekey_absent"] = r.secrets->rekey_absent;
    }
    doc["kept_users"] = nlohmann::json::array();
    for (const auto& u : r.users.users) {
        doc["kept_users"].push_back({{"login", u.login},
                                     {"found", u.found},
                                     {"sandbox_rowid", u.sandbox_rowid},
                                     {"rowid", u.rowid},
                                     {"prod_user", u.prod_user},
                                     {"dropped_groups", u.dropped_groups},
                                     {"cleared_columns", u.cleared_columns},
                                     {"cleared_references", u.cleared_references}});
    }
    auto& f = doc["firewall"];
    f["mail"] = r.firewall.mail;
    f["rows_changed"] = r.firewall.rows_changed();
    f["switched"] = nlohmann::json::array();
    for (const auto& s : r.firewall.switched) {
        f["switched"].push_back({{"channel", s.channel}, {"change", s.change}, {"rows", s.rows}});
    }
    f["application_title"] = r.firewall.application_title;
    doc["live_channels"] = nlohmann::json::array();  // a report exists only when none was live
    return doc;
}

}  // namespace sandboxctl::dolibarr
