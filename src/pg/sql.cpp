#include "pg/sql.hpp"

#include <fmt/ranges.h>

#include "core/error.hpp"

namespace sandboxctl::sql {
namespace {

// `what` is the kind of piece, for the message; the text itself is never in
// it (a value may be a secret).
void require_no_nul(std::string_view text, std::string_view what) {
    if (text.find('\0') != std::string_view::npos) {
        throw failure(fmt::format("could not quote {}: it holds a NUL byte", what));
    }
}

std::string doubled(std::string_view text, char quote, bool backslashes) {
    std::string out;
    out.reserve(text.size() + 2);
    for (char c : text) {
        if (c == quote || (backslashes && c == '\\')) out += c;
        out += c;
    }
    return out;
}

std::string quoted_identifier(std::string_view name) {
    if (name.empty()) throw failure("could not quote identifier: it is empty");
    require_no_nul(name, "identifier");
    return '"' + doubled(name, '"', false) + '"';
}

std::string quoted_literal(std::string_view value) {
    require_no_nul(value, "literal");
    // As PQescapeLiteral: with a backslash, an escape string (E'...', the
    // backslashes doubled), which reads the same whatever
    // standard_conforming_strings says; the space keeps the E off a word
    // written just before it.
    bool escape = value.find('\\') != std::string_view::npos;
    return (escape ? " E'" : "'") + doubled(value, '\'', escape) + '\'';
}

}  // namespace

Identifier::Identifier(std::string_view name) : QuotedText(quoted_identifier(name)) {}

QualifiedName::QualifiedName(std::string_view schema, std::string_view name)
    : QuotedText(quoted_identifier(schema) + "." + quoted_identifier(name)) {}

Literal::Literal(std::string_view value) : QuotedText(quoted_literal(value)) {}

namespace detail {

Fragment built(std::string text) { return Fragment(std::move(text)); }

Fragment joined(const std::vector<std::string_view>& texts, std::string_view separator) {
    return built(fmt::format("{}", fmt::join(texts, separator)));
}

}  // namespace detail
}  // namespace sandboxctl::sql
