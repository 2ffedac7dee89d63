#include "catalog/name_pattern.hpp"

#include <cctype>
#include <vector>

#include "core/error.hpp"

namespace sandboxctl::catalog {
namespace {

// Splits on dots outside double quotes and translates each part to a regex.
std::vector<std::string> translate(std::string_view pattern, std::string_view option) {
    std::vector<std::string> parts(1);
    bool quoted = false;
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char c = pattern[i];
        if (c == '"') {
            if (quoted && i + 1 < pattern.size() && pattern[i + 1] == '"') {
                parts.back() += "\"";
                ++i;
            } else {
                quoted = !quoted;
            }
        } else if (quoted) {
            if (std::string_view("\\^$.|?*+()[]{}").find(c) != std::string_view::npos) parts.back() += '\\';
            parts.back() += c;
        } else if (c == '.') {
            parts.emplace_back();
        } else if (c == '*') {
            parts.back() += ".*";
        } else if (c == '?') {
            parts.back() += '.';
        } else if (std::string_view("\\^$|+()[]{}").find(c) != std::string_view::npos) {
            parts.back() += '\\';
            parts.back() += c;
        } else {
            parts.back() += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
    }
    if (quoted || parts.size() > 2 || parts.back().empty()) {
        throw usage_error("invalid pattern \"" + std::string(pattern) + "\" for " + std::string(option),
                          "Use NAME or SCHEMA.NAME, with * and ? as wildcards and double quotes around exact names.");
    }
    return parts;
}

}  // namespace

NamePattern::NamePattern(std::string_view pattern, std::string_view option) : text_(pattern) {
    auto parts = translate(pattern, option);
    has_schema_ = parts.size() == 2;
    if (has_schema_) schema_ = std::regex(parts[0], std::regex::ECMAScript);
    name_ = std::regex(parts.back(), std::regex::ECMAScript);
}

bool NamePattern::matches(std::string_view schema, std::string_view name) const {
    if (has_schema_ && !std::regex_match(schema.begin(), schema.end(), schema_)) return false;
    return std::regex_match(name.begin(), name.end(), name_);
}

}  // namespace sandboxctl::catalog
