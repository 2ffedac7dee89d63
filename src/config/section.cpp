#include "config/section.hpp"

#include "config/toml_values.hpp"

namespace sandboxctl::config {

Section::Section(std::string name, std::shared_ptr<const Table> table, std::filesystem::path base_dir)
    : name_(std::move(name)), table_(std::move(table)), base_dir_(std::move(base_dir)) {}

std::string Section::where() const { return toml_values::where(table_->toml->source()); }

void Section::allow_only(std::initializer_list<std::string_view> keys) const {
    toml_values::reject_unknown(*table_->toml, toml_values::Keys(keys.begin(), keys.end()), name_);
}

std::optional<std::string> Section::string(std::string_view key) const {
    return toml_values::string_value(*table_->toml, key, name_);
}

std::vector<std::string> Section::strings(std::string_view key) const {
    return toml_values::string_list(*table_->toml, key, name_);
}

}  // namespace sandboxctl::config
