#include "pg/conninfo.hpp"

#include <libpq-fe.h>

#include <memory>
#include <regex>

#include "core/error.hpp"
#include "core/secrets.hpp"

namespace sandboxctl::pg {
namespace {

struct OptionsDeleter {
    void operator()(PQconninfoOption* options) const { PQconninfoFree(options); }
};

// libpq quotes fragments of the input in its parse errors; a fragment may be
// part of a password, so it is elided.
// True when `fragment` is an option or URI parameter name in `input`
// ("sslmod=" or "?sslmod="): a name, never part of a value, so safe to show.
bool is_option_name(const std::string& fragment, std::string_view input) {
    static const std::regex name("[A-Za-z_][A-Za-z0-9_]*");
    if (!std::regex_match(fragment, name)) return false;
    for (auto pos = input.find(fragment + "="); pos != std::string_view::npos;
         pos = input.find(fragment + "=", pos + 1)) {
        if (pos == 0 || std::string_view(" \t\n?&").find(input[pos - 1]) != std::string_view::npos) return true;
    }
    return false;
}

// libpq's parse errors quote pieces of the input, which may be a password;
// only option names are shown, anything else becomes "...".
std::string elide_quoted_fragments(std::string message, std::string_view input) {
    static const std::regex quoted("\"([^\"]*)\"");
    while (!message.empty() && message.back() == '\n') message.pop_back();
    std::string out;
    auto last = message.cbegin();
    for (std::sregex_iterator it(message.begin(), message.end(), quoted), end; it != end; ++it) {
        out.append(last, (*it)[0].first);
        out += is_option_name((*it)[1].str(), input) ? (*it)[0].str() : "\"...\"";
        last = (*it)[0].second;
    }
    out.append(last, message.cend());
    return out;
}

}  // namespace

ConnInfo ConnInfo::parse(std::string_view text, std::string_view label) {
    char* raw_error = nullptr;
    std::unique_ptr<PQconninfoOption, OptionsDeleter> options(PQconninfoParse(std::string(text).c_str(), &raw_error));
    if (!options) {
        std::string reason = raw_error ? elide_quoted_fragments(raw_error, text) : "out of memory";
        PQfreemem(raw_error);
        throw usage_error(std::string("invalid ") + std::string(label) + " connection string: " + reason,
                          "Use a libpq keyword/value string (\"host=... dbname=...\") or a postgresql:// URI.");
    }
    ConnInfo info;
    info.label_ = label;
    for (auto* option = options.get(); option->keyword; ++option) {
        if (!option->val) continue;
        std::string keyword = option->keyword;
        if (keyword == "password") {
            info.password_ = option->val;
            secrets::remember(option->val);
        } else {
            info.params_.emplace_back(keyword, option->val);
        }
    }
    return info;
}

bool ConnInfo::has_password(std::string_view text) {
    std::unique_ptr<PQconninfoOption, OptionsDeleter> options(PQconninfoParse(std::string(text).c_str(), nullptr));
    if (!options) return false;
    for (auto* option = options.get(); option->keyword; ++option) {
        if (option->val && std::string_view(option->keyword) == "password") return true;
    }
    return false;
}

ConnInfo ConnInfo::with_database(std::string dbname) const {
    ConnInfo other = *this;
    other.set("dbname", std::move(dbname));
    return other;
}

std::optional<std::string> ConnInfo::get(std::string_view keyword) const {
    if (keyword == "password") return password_;
    for (const auto& [key, value] : params_) {
        if (key == keyword) return value;
    }
    return std::nullopt;
}

void ConnInfo::set(std::string_view keyword, std::string value) {
    if (keyword == "password") {
        secrets::remember(value);
        password_ = std::move(value);
        return;
    }
    for (auto& [key, existing] : params_) {
        if (key == keyword) {
            existing = std::move(value);
            return;
        }
    }
    params_.emplace_back(std::string(keyword), std::move(value));
}

void ConnInfo::add_server_setting(std::string_view name, std::string_view value) {
    std::string setting = "-c " + std::string(name) + "=" + std::string(value);
    auto existing = get("options");
    set("options", existing && !existing->empty() ? *existing + " " + setting : setting);
}

namespace {

// Quotes a conninfo value: 'it''s' style with backslash escapes, as libpq reads it.
std::string quote_conninfo_value(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'' || c == '\\') out += '\\';
        out += c;
    }
    return out + "'";
}

}  // namespace

std::string ConnInfo::without_password() const {
    std::string out;
    for (const auto& [key, value] : params_) {
        if (!out.empty()) out += ' ';
        out += key + "=" + quote_conninfo_value(value);
    }
    return out;
}

std::string ConnInfo::describe() const {
    std::string out;
    for (const char* key : {"host", "hostaddr", "port", "dbname", "user", "service"}) {
        if (auto value = get(key)) {
            if (!out.empty()) out += ' ';
            out += std::string(key) + "=" + *value;
        }
    }
    return out.empty() ? "(libpq defaults)" : out;
}

std::vector<std::pair<std::string, std::string>> ConnInfo::params_with_password() const {
    auto out = params_;
    if (password_) out.emplace_back("password", *password_);
    return out;
}

}  // namespace sandboxctl::pg
