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
        std::string sql = without_meta_commands(script.substr(start, end - start));
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
