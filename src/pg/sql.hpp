#pragma once
// SQL built from pieces whose type says how they were made safe: names
// double-quoted (Identifier, QualifiedName), values single-quoted (Literal),
// and text written in the code (Fragment), which a string from the run
// cannot become. sql::format puts them together and takes nothing else, so
// a name pasted in unquoted does not compile. The quoting needs no
// connection: it holds for standard_conforming_strings on and off, and for
// every client encoding a server can use (Connection refuses to send a
// Fragment in another, where a multibyte character may end in a quote's or
// a backslash's byte).
#include <fmt/format.h>

#include <algorithm>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace sandboxctl::sql {
namespace detail {

// What the quoted pieces hold: their text once quoted, set by their
// constructors only.
class QuotedText {
public:
    std::string_view text() const { return quoted_; }

protected:
    explicit QuotedText(std::string quoted) : quoted_(std::move(quoted)) {}

private:
    std::string quoted_;
};

}  // namespace detail

// A name, double-quoted, inner quotes doubled: "we""ird Name". Throws for an
// empty name and one holding a NUL byte (no quoting can carry either).
class Identifier : public detail::QuotedText {
public:
    explicit Identifier(std::string_view name);
};

// "schema"."name"
class QualifiedName : public detail::QuotedText {
public:
    QualifiedName(std::string_view schema, std::string_view name);
};

// A value, as PQescapeLiteral quotes it: 'it''s', and E'a\\b' when the value
// holds a backslash, which both settings of standard_conforming_strings read
// alike. Throws for a value holding a NUL byte (the message never shows it).
class Literal : public detail::QuotedText {
public:
    explicit Literal(std::string_view value);
};

class Fragment;
namespace detail {
Fragment built(std::string text);
}  // namespace detail

// SQL text that came from the code: a string literal, or what sql::format
// and sql::join made of pieces. The constructor from a literal runs at
// compile time and reads the characters, so an array filled at run time is
// refused too.
class Fragment {
public:
    template <std::size_t N>
    // Implicit, so that a literal goes wherever a Fragment is expected.
    consteval Fragment(const char (&code)[N]) : code_(code, N - 1) {
        for (std::size_t i = 0; i + 1 < N; ++i) {
            if (code[i] == '\0') throw "an SQL fragment holds a NUL byte";
        }
        if (code[N - 1] != '\0') throw "an SQL fragment is a string literal";
    }

    // The escape hatch: SQL the user wrote in the configuration and that is
    // sent as SQL by design ([[refresh.keep]] where, [[channels]] live_when
    // and switch_off). Nothing here can make it safe; its callers check it
    // first (one expression or one data statement, schema/sql_statements)
    // and run it through exec_one, whose extended protocol refuses a second
    // statement. Used there only: any other text is a piece.
    static Fragment user_sql(std::string_view text) { return Fragment(std::string(text)); }

    std::string_view text() const { return built_ ? std::string_view(*built_) : code_; }

private:
    explicit Fragment(std::string text) : built_(std::move(text)) {}
    friend Fragment detail::built(std::string text);

    std::string_view code_;
    std::optional<std::string> built_;
};

// What sql::format takes besides the pieces above: integers, but not char
// (a character, not a number) nor bool.
template <typename T>
concept Integer = std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char> &&
                  !std::same_as<T, signed char> && !std::same_as<T, unsigned char> && !std::same_as<T, wchar_t> &&
                  !std::same_as<T, char8_t> && !std::same_as<T, char16_t> && !std::same_as<T, char32_t>;

template <typename T>
concept Quoted = std::same_as<T, Identifier> || std::same_as<T, QualifiedName> || std::same_as<T, Literal> ||
    std::same_as<T, Fragment>;

template <typename T>
concept Piece = Quoted<std::remove_cvref_t<T>> || Integer<std::remove_cvref_t<T>>;

namespace detail {

// An integer as sql::format shows it: its decimal digits, whatever the
// format specification would have made of it ({:c} is a character).
class Number {
public:
    template <Integer T>
    explicit Number(T value) : digits_(fmt::format_int(value).str()) {}
    std::string_view text() const { return digits_; }

private:
    std::string digits_;
};

template <typename T>
struct Shown {
    using type = T;
};
template <Integer T>
struct Shown<T> {
    using type = Number;
};
template <typename T>
using shown_t = typename Shown<std::remove_cvref_t<T>>::type;

template <Quoted T>
const T& shown(const T& piece) {
    return piece;
}
template <Integer T>
Number shown(T value) {
    return Number(value);
}

Fragment joined(const std::vector<std::string_view>& texts, std::string_view separator);

// The shown pieces as named arguments: fmt 11's make_format_args takes
// lvalues only (a Number is made on the way).
template <typename... Shown>
Fragment formatted(fmt::string_view code, Shown&&... shown) {
    return built(fmt::vformat(code, fmt::make_format_args(shown...)));
}

}  // namespace detail

// fmt::format for SQL: the format string is checked at compile time and
// every argument is a piece; the result is a Fragment.
template <Piece... Pieces>
Fragment format(fmt::format_string<detail::shown_t<Pieces>...> code, const Pieces&... pieces) {
    return detail::formatted(fmt::string_view(code), detail::shown(pieces)...);
}

// The pieces with `separator` between them ("a, b", "(x) OR (y)").
template <Quoted P>
Fragment join(const std::vector<P>& pieces, const Fragment& separator) {
    std::vector<std::string_view> texts;
    texts.reserve(pieces.size());
    for (const auto& piece : pieces) texts.push_back(piece.text());
    return detail::joined(texts, separator.text());
}

namespace detail {

// Each piece shows its text as it is: a specification such as {:.3} would
// cut a quoted name or value open, so none is accepted.
struct PieceFormatter {
    template <typename ParseContext>
    constexpr auto parse(ParseContext& ctx) {
        auto it = ctx.begin();
        // A throw, not ctx.on_error (gone in fmt 11): at compile time it
        // fails the build, as fmt's own checks do.
        if (it != ctx.end() && *it != '}') throw fmt::format_error("an SQL piece takes no format specification");
        return it;
    }
    template <typename Piece, typename FormatContext>
    auto format(const Piece& piece, FormatContext& ctx) const {
        auto text = piece.text();
        return std::copy(text.begin(), text.end(), ctx.out());
    }
};

}  // namespace detail
}  // namespace sandboxctl::sql

template <>
struct fmt::formatter<sandboxctl::sql::Identifier> : sandboxctl::sql::detail::PieceFormatter {};
template <>
struct fmt::formatter<sandboxctl::sql::QualifiedName> : sandboxctl::sql::detail::PieceFormatter {};
template <>
struct fmt::formatter<sandboxctl::sql::Literal> : sandboxctl::sql::detail::PieceFormatter {};
template <>
struct fmt::formatter<sandboxctl::sql::Fragment> : sandboxctl::sql::detail::PieceFormatter {};
template <>
struct fmt::formatter<sandboxctl::sql::detail::Number> : sandboxctl::sql::detail::PieceFormatter {};
