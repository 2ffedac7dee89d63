#include "schema/schema_script.hpp"

namespace sandboxctl::schema {
namespace {

constexpr std::string_view header_start = "--\n-- ";

// "-- Name: t1; Type: TABLE; Schema: public; Owner: -" -> "TABLE public.t1"
std::string title_from_header(std::string_view header) {
    auto field = [&](std::string_view key) -> std::string {
        auto pos = header.find(key);
        if (pos == std::string_view::npos) return {};
        pos += key.size();
        auto end = header.find("; ", pos);
        return std::string(header.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    };
    std::string type = field("Type: "), schema = field("Schema: "), name = field("Name: ");
    if (type.empty()) return std::string(header);
    return type + " " + (schema.empty() || schema == "-" ? "" : schema + ".") + name;
}

bool is_entry_header(std::string_view script, std::size_t pos) {
    return script.compare(pos, header_start.size(), header_start) == 0 &&
           (script.compare(pos + header_start.size(), 6, "Name: ") == 0 ||
            script.compare(pos + header_start.size(), 10, "Data for N") == 0);
}

std::string without_meta_commands(std::string_view sql) {
    std::string out;
    std::size_t pos = 0;
    while (pos < sql.size()) {
        auto end = sql.find('\n', pos);
        std::string_view line = sql.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos + 1);
        if (!(line.size() > 1 && line[0] == '\\')) out += line;
        pos = end == std::string_view::npos ? sql.size() : end + 1;
    }
    return out;
}

// pg_attver=N: an attribute option Debian 13's PostgreSQL 17.12 sets itself
// on every column of every table it (re)writes. Its pg_dump leaves it out;
// pg_dump 18 dumps it (ALTER TABLE ONLY t ALTER COLUMN c SET (pg_attver=N,
// ...)), and no other server accepts it: a sandbox on 18 could not take a
// table of such a prod. The server's, not the schema's: never restored.
bool is_server_assigned_option(std::string_view option) {
    constexpr std::string_view name = "pg_attver=";
    return option.starts_with(name) && option.size() > name.size() &&
           option.substr(name.size()).find_first_not_of("0123456789") == std::string_view::npos;
}

std::string without_server_assigned_options(std::string_view line) {
    constexpr std::string_view set = " SET (", end = ");";
    if (!line.starts_with("ALTER TABLE ONLY ") || line.find(" ALTER COLUMN ") == std::string_view::npos ||
        !line.ends_with(end)) {
        return std::string(line);
    }
    // The options come last: the last " SET (" is theirs, whatever a quoted name holds.
    auto open = line.rfind(set);
    if (open == std::string_view::npos) return std::string(line);
    auto options = line.substr(open + set.size(), line.size() - open - set.size() - end.size());
    std::string kept;
    bool dropped = false;
    for (std::size_t pos = 0; pos <= options.size();) {
        auto comma = options.find(", ", pos);
        auto option = options.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
        if (is_server_assigned_option(option)) {
            dropped = true;
        } else {
            if (!kept.empty()) kept += ", ";
            kept += option;
        }
        if (comma == std::string_view::npos) break;
        pos = comma + 2;
    }
    if (!dropped) return std::string(line);
    if (kept.empty()) return {};
    return std::string(line.substr(0, open + set.size())) + kept + std::string(end);
}

std::string without_server_assigned_options_in(std::string_view sql) {
    std::string out;
    std::size_t pos = 0;
    while (pos < sql.size()) {
        auto end = sql.find('\n', pos);
        std::string_view line = sql.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        std::string kept = without_server_assigned_options(line);
        if (!kept.empty() || line.empty()) {
            out += kept;
            if (end != std::string_view::npos) out += '\n';
        }
        pos = end == std::string_view::npos ? sql.size() : end + 1;
    }
    return out;
}

bool has_statements(const std::string& sql) {
    std::size_t pos = 0;
    while (pos < sql.size()) {
        auto end = sql.find('\n', pos);
        std::string_view line(sql.data() + pos, (end == std::string::npos ? sql.size() : end) - pos);
        auto first = line.find_first_not_of(" \t\r");
        if (first != std::string_view::npos && line.substr(first, 2) != "--") return true;
        pos = end == std::string::npos ? sql.size() : end + 1;
    }
    return false;
}

}  // namespace

std::vector<ScriptEntry> split_script(std::string_view script) {
    std::vector<ScriptEntry> entries;
    std::string title = "preamble";
    std::size_t start = 0;
    auto flush = [&](std::size_t end) {
        std::string sql = without_server_assigned_options_in(without_meta_commands(script.substr(start, end - start)));
        if (has_statements(sql)) entries.push_back({title, std::move(sql)});
    };
    for (std::size_t pos = 0; pos < script.size();) {
        if ((pos == 0 || script[pos - 1] == '\n') && is_entry_header(script, pos)) {
            flush(pos);
            auto line_end = script.find('\n', pos + 3);
            title = title_from_header(script.substr(pos + 3, line_end - pos - 3));
            start = pos;
            pos = line_end == std::string_view::npos ? script.size() : line_end + 1;
            continue;
        }
        auto next = script.find('\n', pos);
        pos = next == std::string_view::npos ? script.size() : next + 1;
    }
    flush(script.size());
    return entries;
}

}  // namespace sandboxctl::schema
