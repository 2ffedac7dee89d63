#pragma once
// A parsed libpq connection string (keyword/value or URI). The password, if the
// string carries one, is kept apart: it is registered as a secret, handed to
// libpq directly, and never rendered into a string that may be logged or put on
// a child's command line.
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sandboxctl::pg {

class ConnInfo {
public:
    // `label` names the side ("source", "target") in error messages.
    static ConnInfo parse(std::string_view text, std::string_view label);

    const std::string& label() const { return label_; }
    std::optional<std::string> get(std::string_view keyword) const;
    void set(std::string_view keyword, std::string value);
    // Appends "-c name=value" to the libpq `options` keyword.
    void add_server_setting(std::string_view name, std::string_view value);

    const std::optional<std::string>& password() const { return password_; }
    // All keywords except the password, as a conninfo string that libpq parses back.
    std::string without_password() const;
    // Whether `text` (a conninfo string or URI) carries a password; false
    // when it does not parse.
    static bool has_password(std::string_view text);
    // The same server and credentials, another database (a maintenance
    // database to look at, or repair, a sandbox that refuses connections).
    ConnInfo with_database(std::string dbname) const;
    // Short human description: "host=... port=... dbname=... user=...".
    std::string describe() const;
    // Keyword/value pairs including the password, for PQconnectdbParams.
    const std::vector<std::pair<std::string, std::string>>& params() const { return params_; }
    std::vector<std::pair<std::string, std::string>> params_with_password() const;

private:
    std::string label_;
    std::vector<std::pair<std::string, std::string>> params_;
    std::optional<std::string> password_;
};

}  // namespace sandboxctl::pg
