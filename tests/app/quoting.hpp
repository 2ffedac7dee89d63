#pragma once
// Quoting for the text formats the app harness writes (TOML, curl's config,
// PHP): the value between two quote characters, with backslash and the quote
// character escaped by a backslash. All three read that form back verbatim.
#include <string>

namespace sandboxctl::test {

inline std::string backslash_quoted(const std::string& value, char quote) {
    std::string out(1, quote);
    for (char c : value) {
        if (c == '\\' || c == quote) out += '\\';
        out += c;
    }
    return out + quote;
}

}  // namespace sandboxctl::test
