#include "provision/psql_script.hpp"

namespace sandboxctl::provision {
namespace {

// A single-quoted argument of a psql meta-command: psql reads C-like
// escapes there, and a doubled quote as a quote.
std::string meta_argument(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "''";
        else if (c == '\\')
            out += "\\\\";
        else
            out += c;
    }
    return out + "'";
}

constexpr const char* header = R"(-- Made by "sandboxctl provision": what sandboxctl needs on the server, for an
-- administrator to review, then run as a superuser:  psql -X -f THIS_FILE "dbname=postgres"
-- Running it again changes nothing: what exists is left alone (and said so).
--
-- No password is set here. Set each login's with psql's \password ROLE, which sends
-- a hash, never the password, then give it to sandboxctl the libpq way (a .pgpass
-- file, PGPASSFILE): see docs/manual.md#provision.
\set ON_ERROR_STOP on
)";

// \connect NAME reads a NAME holding "=" as a connection string: the
// database is always given as one, keeping the session's other parameters.
std::string connect_line(const std::string& database) {
    std::string value;
    for (char c : database) {
        if (c == '\'' || c == '\\') value += '\\';
        value += c;
    }
    return "\\connect -reuse-previous=on " + meta_argument("dbname='" + value + "'") + "\n";
}

// A TOML basic string.
std::string toml_string(const std::string& text) {
    std::string out = "\"";
    for (char c : text) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

std::string psql_script(const std::vector<Step>& steps, const std::vector<std::string>& pool_targets) {
    std::string out = header;
    std::string database;
    for (const auto& step : steps) {
        out += "\n-- " + step.comment + "\n";
        if (!step.database.empty() && step.database != database) {
            out += connect_line(step.database);
            database = step.database;
        }
        if (!step.object.empty()) {
            out += step.exists_query + " AS sandboxctl_exists \\gset\n";
            out += "\\if :sandboxctl_exists\n";
            out += "\\echo " + meta_argument(step.object + " exists: left alone") + "\n";
            out += "\\else\n" + step.create + ";\n\\endif\n";
        }
        for (const auto& statement : step.keep) out += statement + ";\n";
    }
    if (!pool_targets.empty()) {
        out += "\n-- The pool members, for sandboxctl's configuration:\n-- [pool]\n-- targets = [\n";
        for (const auto& target : pool_targets) out += "--   " + toml_string(target) + ",\n";
        out += "-- ]\n";
    }
    return out;
}

}  // namespace sandboxctl::provision
