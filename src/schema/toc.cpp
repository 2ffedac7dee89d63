#include "schema/toc.hpp"

#include <array>

#include "core/error.hpp"
#include "core/number.hpp"

namespace sandboxctl::schema {
namespace {

// Entry descriptions pg_dump writes that contain spaces; any other is one word.
constexpr std::array multi_word_descs = {
    "MATERIALIZED VIEW DATA",
    "TEXT SEARCH CONFIGURATION",
    "TEXT SEARCH DICTIONARY",
    "PUBLICATION TABLES IN SCHEMA",
    "TEXT SEARCH TEMPLATE",
    "FOREIGN DATA WRAPPER",
    "PROCEDURAL LANGUAGE",
    "DATABASE PROPERTIES",
    "TEXT SEARCH PARSER",
    "SEQUENCE OWNED BY",
    "MATERIALIZED VIEW",
    "PUBLICATION TABLE",
    "CHECK CONSTRAINT",
    "OPERATOR FAMILY",
    "OPERATOR CLASS",
    "ACCESS METHOD",
    "EVENT TRIGGER",
    "FK CONSTRAINT",
    "FOREIGN TABLE",
    "SECURITY LABEL",
    "SEQUENCE SET",
    "TABLE ATTACH",
    "INDEX ATTACH",
    "LARGE OBJECT",
    "BLOB METADATA",
    "USER MAPPING",
    "DEFAULT ACL",
    "ROW SECURITY",
    "SHELL TYPE",
    "TABLE DATA",
};

bool consume_number(std::string_view& text, long long& out) {
    auto number = consume_integer(text);
    if (number) out = *number;
    return number.has_value();
}

bool consume(std::string_view& text, std::string_view prefix) {
    if (text.substr(0, prefix.size()) != prefix) return false;
    text.remove_prefix(prefix.size());
    return true;
}

std::string take_desc(std::string_view& text) {
    for (std::string_view desc : multi_word_descs) {
        if (text.size() > desc.size() && text.substr(0, desc.size()) == desc && text[desc.size()] == ' ') {
            text.remove_prefix(desc.size() + 1);
            return std::string(desc);
        }
    }
    auto space = text.find(' ');
    std::string desc(text.substr(0, space));
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
    return desc;
}

// Owner is the trailing known role name (or empty when the line ends in a space).
std::string take_owner(std::string_view& text, const TocNames& names) {
    if (!text.empty() && text.back() == ' ') {
        text.remove_suffix(1);
        return {};
    }
    for (const auto& role : names.roles) {
        if (text.size() > role.size() && text.substr(text.size() - role.size()) == role &&
            text[text.size() - role.size() - 1] == ' ') {
            text.remove_suffix(role.size() + 1);
            return role;
        }
    }
    auto space = text.rfind(' ');
    std::string owner(text.substr(space + 1));
    text.remove_suffix(text.size() - (space == std::string_view::npos ? 0 : space));
    return owner;
}

std::string take_schema(std::string_view& text, const TocNames& names) {
    if (consume(text, "- ")) return "-";
    for (const auto& schema : names.schemas) {
        if (text.size() > schema.size() && text.substr(0, schema.size()) == schema && text[schema.size()] == ' ') {
            text.remove_prefix(schema.size() + 1);
            return schema;
        }
    }
    auto space = text.find(' ');
    std::string schema(text.substr(0, space));
    text.remove_prefix(space == std::string_view::npos ? text.size() : space + 1);
    return schema;
}

TocEntry parse_line(std::string_view line, const TocNames& names) {
    TocEntry entry;
    entry.line = line;
    std::string_view rest = line;
    long long id = 0, catalog_oid = 0, object_oid = 0;
    if (!consume_number(rest, id) || !consume(rest, "; ") || !consume_number(rest, catalog_oid) ||
        !consume(rest, " ") || !consume_number(rest, object_oid) || !consume(rest, " ")) {
        throw failure("could not parse pg_restore list line: \"" + std::string(line) + "\"");
    }
    entry.dump_id = static_cast<int>(id);
    entry.catalog_oid = static_cast<unsigned>(catalog_oid);
    entry.object_oid = static_cast<unsigned>(object_oid);
    entry.desc = take_desc(rest);
    entry.owner = take_owner(rest, names);
    entry.schema = take_schema(rest, names);
    entry.tag = rest;
    return entry;
}

}  // namespace

std::vector<TocEntry> parse_toc(std::string_view list, const TocNames& names) {
    std::vector<TocEntry> entries;
    while (!list.empty()) {
        auto newline = list.find('\n');
        std::string_view line = list.substr(0, newline);
        list.remove_prefix(newline == std::string_view::npos ? list.size() : newline + 1);
        if (line.empty() || line.front() == ';') continue;
        entries.push_back(parse_line(line, names));
    }
    return entries;
}

std::string render_toc(const std::vector<TocEntry>& entries) {
    std::string out;
    for (const auto& entry : entries) {
        if (!entry.keep) out += ';';
        out += entry.line;
        out += '\n';
    }
    return out;
}

}  // namespace sandboxctl::schema
