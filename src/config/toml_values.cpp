#include "config/toml_values.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace sandboxctl::config::toml_values {
namespace {

std::string_view type_of(const toml::node& node) {
    switch (node.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a floating-point number";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        default: return "a value of no known type";
    }
}

// A string setting's text. A NUL ends the text wherever it goes (a hook's
// command line, a connection string, a file name), silently cutting it: no
// setting may hold one.
std::string text_of(const toml::node& node, const std::string& name) {
    auto text = *node.value<std::string>();
    if (text.find('\0') != std::string::npos) {
        throw usage_error(fmt::format("{}: \"{}\" holds a NUL character (\\u0000)", where(node.source()), name),
                          "Remove it: a command line, a connection string or a path would end there.");
    }
    return text;
}

}  // namespace

std::string where(const toml::source_region& region) {
    return fmt::format("{}:{}:{}", region.path ? *region.path : std::string("config"), region.begin.line,
                       region.begin.column);
}

void reject_unknown(const toml::table& table, const Keys& allowed, const std::string& section) {
    for (const auto& [key, node] : table) {
        (void)node;
        if (!allowed.contains(key.str())) {
            std::string name = section.empty() ? std::string(key.str()) : section + "." + std::string(key.str());
            throw usage_error(fmt::format("{}: unknown configuration key \"{}\"", where(key.source()), name),
                              "See the configuration reference in docs/manual.md#configuration-file.");
        }
    }
}

std::string qualified(const std::string& section, std::string_view key) {
    return section.empty() ? std::string(key) : section + "." + std::string(key);
}

void wrong_type(const toml::node& node, const std::string& name, std::string_view expected, std::string hint) {
    throw usage_error(fmt::format("{}: \"{}\" must be {}, not {}", where(node.source()), name, expected, type_of(node)),
                      std::move(hint));
}

const toml::table* section(const toml::table& root, std::string_view name) {
    const toml::node* node = root.get(name);
    if (!node) return nullptr;
    if (!node->is_table()) {
        wrong_type(*node, std::string(name), fmt::format("a table ([{}])", name),
                   fmt::format("Put the {} settings under a line \"[{}]\".", name, name));
    }
    return node->as_table();
}

std::optional<std::string> string_value(const toml::table& table, std::string_view key, const std::string& section) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    if (!node->is_string()) {
        wrong_type(*node, qualified(section, key), "a string",
                   fmt::format("Put the value in double quotes: {} = \"...\".", key));
    }
    return text_of(*node, qualified(section, key));
}

std::optional<bool> bool_value(const toml::table& table, std::string_view key, const std::string& section) {
    const toml::node* node = table.get(key);
    if (!node) return std::nullopt;
    if (!node->is_boolean()) {
        wrong_type(*node, qualified(section, key), "a boolean",
                   fmt::format("Write {} = true or {} = false, without quotes.", key, key));
    }
    return node->value<bool>();
}

std::vector<std::string> string_list(const toml::table& table, std::string_view key, const std::string& section) {
    const toml::node* node = table.get(key);
    if (!node) return {};
    const toml::array* array = node->as_array();
    std::vector<std::string> out;
    if (array) {
        for (const auto& item : *array) {
            if (!item.is_string())
                array = nullptr;
            else
                out.push_back(text_of(item, qualified(section, key)));
        }
    }
    if (!array) {
        wrong_type(*node, qualified(section, key), "an array of strings",
                   fmt::format("Write a list in brackets, even of one: {} = [\"...\"].", key));
    }
    return out;
}

std::vector<const toml::table*> array_of_tables(const toml::table& table, std::string_view key, const std::string& name,
                                                const std::string& hint) {
    std::vector<const toml::table*> tables;
    const toml::node* node = table.get(key);
    if (!node) return tables;
    const std::string expected = fmt::format("an array of tables ([[{}]])", name);
    const toml::array* array = node->as_array();
    if (!array) wrong_type(*node, name, expected, hint);
    for (const auto& item : *array) {
        if (!item.is_table()) wrong_type(item, name, expected, hint);
        tables.push_back(item.as_table());
    }
    return tables;
}

}  // namespace sandboxctl::config::toml_values
