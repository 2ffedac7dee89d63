#pragma once
// Object name patterns as psql and pg_dump read them: "schema.table", with *
// and ? as wildcards, unquoted letters folded to lower case, and double quotes
// for literal text. A pattern without a dot matches the name in any schema.
#include <regex>
#include <string>
#include <string_view>

namespace sandboxctl::catalog {

class NamePattern {
public:
    // Throws a usage error naming `option` if the pattern is malformed.
    NamePattern(std::string_view pattern, std::string_view option);

    bool matches(std::string_view schema, std::string_view name) const;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    bool has_schema_ = false;
    std::regex schema_;
    std::regex name_;
};

}  // namespace sandboxctl::catalog
