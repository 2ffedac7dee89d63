#pragma once
// Typed values read from the configuration file's TOML, each error placed at
// FILE:LINE:COLUMN with a hint that shows the right form. A value of the
// wrong type is an error, never a silent default: a quoted "true" must not
// turn into false. Used by config/settings.cpp and config/section.cpp only.
#include <toml++/toml.h>

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/section.hpp"

namespace sandboxctl::config {

// What a Section holds: its table, inside the whole parsed file (a copy of
// a toml::table would lose the places its errors name).
struct Section::Table {
    std::shared_ptr<const toml::table> root;
    const toml::table* toml = nullptr;
};

}  // namespace sandboxctl::config

namespace sandboxctl::config::toml_values {

using Keys = std::set<std::string, std::less<>>;

// "FILE:LINE:COLUMN" of a place in the file.
std::string where(const toml::source_region& region);

// "section.key", or "key" at the top level.
std::string qualified(const std::string& section, std::string_view key);

// Throws a usage error naming the first key of `table` not in `allowed`.
void reject_unknown(const toml::table& table, const Keys& allowed, const std::string& section);

[[noreturn]] void wrong_type(const toml::node& node, const std::string& name, std::string_view expected,
                             std::string hint);

// The table [name] of `root`, or nullptr when there is none.
const toml::table* section(const toml::table& root, std::string_view name);

std::optional<std::string> string_value(const toml::table& table, std::string_view key, const std::string& section);
std::optional<bool> bool_value(const toml::table& table, std::string_view key, const std::string& section);
// The tables of the array of tables `key` of `table` ([[name]] in the
// file); anything else there is a usage error with `hint`.
std::vector<const toml::table*> array_of_tables(const toml::table& table, std::string_view key, const std::string& name,
                                                const std::string& hint);
std::vector<std::string> string_list(const toml::table& table, std::string_view key, const std::string& section);

}  // namespace sandboxctl::config::toml_values
