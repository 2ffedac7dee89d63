#include "pg/service_section.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <array>
#include <memory>

#include "core/error.hpp"

namespace sandboxctl::pg {
namespace {

// What decides where a session goes, as whom, and how it is protected. Not
// the session's own settings (options, application_name): they were the
// caller's. Keywords the client's libpq does not know are never returned.
// The password is the one libpq used, wherever it came from: a passfile of
// the caller's is not handed on.
constexpr std::array<std::string_view, 23> reaching_keywords = {"host",
                                                                "hostaddr",
                                                                "port",
                                                                "dbname",
                                                                "user",
                                                                "password",
                                                                "sslmode",
                                                                "sslcert",
                                                                "sslkey",
                                                                "sslpassword",
                                                                "sslrootcert",
                                                                "sslcrl",
                                                                "sslcrldir",
                                                                "sslsni",
                                                                "sslcertmode",
                                                                "ssl_min_protocol_version",
                                                                "ssl_max_protocol_version",
                                                                "gssencmode",
                                                                "krbsrvname",
                                                                "gsslib",
                                                                "channel_binding",
                                                                "require_auth",
                                                                "requirepeer"};

bool reaches(std::string_view keyword) {
    for (auto k : reaching_keywords) {
        if (k == keyword) return true;
    }
    return false;
}

bool fits_a_line(std::string_view value) {
    if (value.find_first_of("\r\n") != std::string_view::npos) return false;
    auto blank = [](char c) { return c == ' ' || c == '\t'; };
    return !blank(value.front()) && !blank(value.back());
}

// PQconninfo gives the password of the connection string only; PQpass the
// one libpq used, a password file's too.
std::string_view value_used(const Connection& session, const PQconninfoOption& option) {
    const char* value = std::string_view(option.keyword) == "password" ? PQpass(session.raw()) : option.val;
    return value ? value : "";
}

}  // namespace

std::string service_section(const Connection& session, std::string_view name) {
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfo(session.raw()), &PQconninfoFree);
    if (!options) throw failure("could not read the session's connection parameters: out of memory");
    std::string out = fmt::format("[{}]\n", name);
    for (auto* option = options.get(); option->keyword; ++option) {
        if (!reaches(option->keyword)) continue;
        auto value = value_used(session, *option);
        if (value.empty()) continue;
        if (!fits_a_line(value)) {
            throw failure(fmt::format("could not write the connection parameter \"{}\" to a service file: its value "
                                      "holds a line break or starts or ends with a blank",
                                      option->keyword),
                          "A libpq service file holds one line per parameter, blanks around it stripped.");
        }
        out += fmt::format("{}={}\n", option->keyword, value);
    }
    return out;
}

}  // namespace sandboxctl::pg
