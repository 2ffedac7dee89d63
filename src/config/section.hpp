#pragma once
// A table of the configuration file that the core does not read itself: an
// application profile's section, which profiles/registry.hpp
// hands to that profile to parse. Its errors name file, line and column, as
// every other configuration error does.
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::config {

class Section {
public:
    struct Table;  // the parsed TOML (config/section.cpp)

    Section(std::string name, std::shared_ptr<const Table> table, std::filesystem::path base_dir);

    // The section's name: the file's line "[name]".
    const std::string& name() const { return name_; }
    // "FILE:LINE:COLUMN" of the section, for errors about it as a whole.
    std::string where() const;
    // The config file's directory: relative paths in the section are relative to it.
    const std::filesystem::path& base_dir() const { return base_dir_; }

    // A usage error naming the first key that is not one of `keys`.
    void allow_only(std::initializer_list<std::string_view> keys) const;
    // The value of `key`; a value of another type is a usage error.
    std::optional<std::string> string(std::string_view key) const;
    std::vector<std::string> strings(std::string_view key) const;

private:
    std::string name_;
    std::shared_ptr<const Table> table_;
    std::filesystem::path base_dir_;
};

}  // namespace sandboxctl::config
