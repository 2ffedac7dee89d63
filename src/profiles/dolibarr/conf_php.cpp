#include "profiles/dolibarr/conf_php.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <string>
#include <utility>

#include "core/error.hpp"
#include "sync/location.hpp"
#include "sync/read_file.hpp"

namespace sandboxctl::dolibarr {
namespace {

constexpr std::string_view unique_id_name = "dolibarr_main_instance_unique_id";
constexpr std::string_view cookie_key_name = "dolibarr_main_cookie_cryptkey";
// PHP's openssl pads a shorter dolcrypt key with NUL bytes and cuts a longer one.
constexpr std::size_t dolcrypt_key_size = 32;
// conf.php is a few kB; anything far larger is not a conf.php.
constexpr std::size_t max_conf_bytes = 1024 * 1024;

// Text that may hold the id: wiped when it goes away.
struct WipedText {
    std::string text;
    WipedText() = default;
    explicit WipedText(std::string value) : text(std::move(value)) {}
    ~WipedText() { wipe(); }
    WipedText(const WipedText&) = delete;
    WipedText& operator=(const WipedText&) = delete;
    // The whole buffer: a moved-from short string keeps its bytes past size().
    void wipe() {
        text.resize(text.capacity());
        OPENSSL_cleanse(text.data(), text.size());
        text.clear();
    }
};

// Why the text cannot be read; never quotes the text itself.
struct Unreadable {
    std::string reason;
};

// A construct that could give the id another value than the assignments
// sandboxctl reads (a usage error); `pos` is where it starts, for its line.
struct Refused {
    std::size_t pos;
    std::string reason;
};

// Words whose code could set the id or skip an assignment, with why. PHP's
// keywords and function names ignore case; the word is lowercased first.
// extract() cannot be called by a computed name (PHP 7.1+), so its name is
// enough; parse_str() needs its result array since PHP 8 and sets no variable.
std::optional<std::string_view> refused_word(std::string_view word) {
    static constexpr std::pair<std::string_view, std::string_view> words[] = {
        {"include", "it includes another file, which could set the instance id"},
        {"include_once", "it includes another file, which could set the instance id"},
        {"require", "it includes another file, which could set the instance id"},
        {"require_once", "it includes another file, which could set the instance id"},
        {"eval", "it runs eval(), whose code could set the instance id"},
        {"extract", "it calls extract(), which sets variables by name"},
        {"return", "it leaves conf.php with return, so a later assignment may not run"},
        {"goto", "it jumps with goto, so an assignment may be skipped or run again"},
        {"__halt_compiler", "it ends the PHP code with __halt_compiler()"},
        // if (...): ... endif; -- the assignments between look top-level.
        {"endif", "it ends an if: ... endif; block, whose assignments run only on its condition"},
        {"endwhile", "it ends a while: ... endwhile; block, whose assignments run only on its condition"},
        {"endfor", "it ends a for: ... endfor; block, whose assignments run only on its condition"},
        {"endforeach", "it ends a foreach: ... endforeach; block, whose assignments run only on its condition"},
        {"endswitch", "it ends a switch: ... endswitch; block, whose assignments run only on its condition"},
        {"enddeclare", "it ends a declare: ... enddeclare; block"},
    };
    for (const auto& [name, reason] : words) {
        if (word == name) return reason;
    }
    return std::nullopt;
}

std::string lowercase(std::string_view word) {
    std::string lower(word);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower;
}

bool is_key_name(std::string_view name) { return name == unique_id_name || name == cookie_key_name; }

bool is_identifier_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
bool is_identifier_char(char c) { return is_identifier_start(c) || (c >= '0' && c <= '9'); }
bool is_octal(char c) { return c >= '0' && c <= '7'; }
bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hex_value(char c) { return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10; }

void append_utf8(std::string& out, unsigned long code) {
    if (code < 0x80) {
        out += static_cast<char>(code);
    } else if (code < 0x800) {
        out += static_cast<char>(0xc0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else if (code < 0x10000) {
        out += static_cast<char>(0xe0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    } else {
        out += static_cast<char>(0xf0 | (code >> 18));
        out += static_cast<char>(0x80 | ((code >> 12) & 0x3f));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3f));
        out += static_cast<char>(0x80 | (code & 0x3f));
    }
}

// Just enough of PHP's lexer to find `$name = 'literal';` in a conf.php:
// inline text outside <?php ... ?>, comments, and the string literals (whose
// content must not be mistaken for code). Only what runs unconditionally can be
// read without running PHP, so the scanner also follows the nesting and the
// statement boundaries, and refuses (Refused) whatever could give the id
// another value: an assignment that is not a top-level statement of its own
// (in braces, after `if (...)`, `else`, `while (...)` without braces, or in an
// expression), any other use of the variable than a comparison, empty() or
// isset() (a reference, an argument, list(), foreach, ++...), $GLOBALS naming
// it or a computed name, $$name and ${...}, and the words of refused_word().
class ConfScanner {
public:
    explicit ConfScanner(std::string_view text) : text_(text) {}

    // The value of the last plain assignment of each name; nullopt if none.
    void scan(std::optional<WipedText>& unique_id, std::optional<WipedText>& cookie_key) {
        skip_inline_text();
        while (pos_ < text_.size()) {
            if (at("?>")) {
                pos_ += 2;
                skip_inline_text();
            } else if (at("//") || (at("#") && !at("#["))) {
                skip_line_comment();
            } else if (at("/*")) {
                skip_block_comment();
            } else if (at("<<<")) {
                throw Unreadable{"it uses a heredoc string, which sandboxctl does not read"};
            } else if (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r') {
                ++pos_;
            } else if (peek() == '\'' || peek() == '"' || peek() == '`') {
                WipedText skipped(read_string());
                note("'");
            } else if (peek() == '$') {
                read_variable(unique_id, cookie_key);
            } else if (is_identifier_start(peek())) {
                read_word();
            } else {
                read_punctuation();
            }
        }
    }

private:
    char peek(std::size_t ahead = 0) const { return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0'; }
    bool at(std::string_view token) const { return text_.substr(pos_).starts_with(token); }

    void skip_inline_text() {
        const auto open = text_.find("<?", pos_);
        if (open == std::string_view::npos) {
            pos_ = text_.size();
            return;
        }
        pos_ = open + 2;
        // The inline text is a statement of its own and ?> ends one; "<?=" opens an
        // echo expression, "<?" PHP as "<?php" does.
        const bool echo = at("=");
        if (at("php")) pos_ += 3;
        note(echo ? "<?=" : ";");
        statement_start_ = !echo && depth_ == 0;
    }

    // Records the token just read: the last two are what a variable's use is
    // judged by; only `;` and a closing `}` at the top level start a statement.
    void note(std::string_view token) {
        before_prev_ = prev_;
        prev_ = token;
        statement_start_ = depth_ == 0 && (token == ";" || token == "}");
    }

    void read_punctuation() {
        const auto start = pos_;
        for (const std::string_view op : {"?->", "->", "::", "++", "--", "&&"}) {
            if (at(op)) {
                pos_ += op.size();
                note(text_.substr(start, op.size()));
                return;
            }
        }
        const char c = peek();
        ++pos_;
        if (c == '(' || c == '[' || c == '{') ++depth_;
        if ((c == ')' || c == ']' || c == '}') && depth_ > 0) --depth_;
        note(text_.substr(start, 1));
    }

    // A bare word: refused when its code could set the id or skip an
    // assignment; a method, property or constant of that name is not that code.
    void read_word() {
        const auto start = pos_;
        const std::string_view word = read_identifier();
        const bool member = prev_ == "->" || prev_ == "?->" || prev_ == "::" || lowercase(prev_) == "function";
        if (!member) {
            if (const auto reason = refused_word(lowercase(word))) throw Refused{start, std::string(*reason)};
        }
        note(word);
    }

    // `$` at pos_: a variable, whose use is checked when it is one of the id's.
    void read_variable(std::optional<WipedText>& unique_id, std::optional<WipedText>& cookie_key) {
        const auto start = pos_;
        const bool starts_statement = statement_start_;
        const std::string_view prev = prev_, before_prev = before_prev_;
        ++pos_;
        if (peek() == '$' || peek() == '{') {
            throw Refused{
                start, "it names a variable by a computed name ($$name or ${...}), which could be the instance id's"};
        }
        const std::string_view name = read_identifier();
        note("$");
        if (prev == "::") return;  // Class::$name is a static property, not the variable
        if (name == "GLOBALS") read_globals_index(start);
        if (!is_key_name(name)) return;
        std::optional<WipedText>& value = name == unique_id_name ? unique_id : cookie_key;
        if (read_assignment(name, value, start, starts_statement)) return;
        if (!is_plain_read(prev, before_prev)) {
            throw Refused{start, "it uses $" + std::string(name) +
                                     " in a way that could change it (a reference, an argument, list(), foreach, "
                                     "an index, ++ or --)"};
        }
    }

    // After `$name` (pos_ at what follows): a comparison, or the whole argument of
    // empty() or isset(); neither can change the variable. Anything else could:
    // a function may take it by reference, and `&`, `++`, `--` change it.
    bool is_plain_read(std::string_view prev, std::string_view before_prev) {
        if (prev == "&" || prev == "++" || prev == "--") return false;
        skip_space_and_comments();
        if (at("==") || at("!=") || at("<>")) return true;
        const std::string call = lowercase(before_prev);
        return prev == "(" && (call == "empty" || call == "isset") && peek() == ')';
    }

    // `$GLOBALS` was just read: only `['literal']` naming another variable is
    // followed; a computed index or the array as a whole could reach the id.
    void read_globals_index(std::size_t start) {
        skip_space_and_comments();
        if (peek() != '[') throw Refused{start, "it uses $GLOBALS as a whole, which holds the instance id's variable"};
        ++pos_;
        skip_space_and_comments();
        std::optional<WipedText> index;
        if (peek() == '\'' || peek() == '"') {
            index.emplace(read_string());
            skip_space_and_comments();
        }
        if (!index || peek() != ']') {
            throw Refused{start, "it indexes $GLOBALS by a computed name, which could be the instance id's variable"};
        }
        ++pos_;
        note("]");
        if (is_key_name(index->text)) {
            throw Refused{start, "it reaches $" + index->text + " through $GLOBALS, which sandboxctl does not follow"};
        }
    }

    // A // or # comment ends at the line's end or at ?>, which it leaves to the caller.
    void skip_line_comment() {
        while (pos_ < text_.size() && peek() != '\n' && !at("?>")) ++pos_;
    }

    void skip_block_comment() {
        const auto end = text_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) throw Unreadable{"a /* comment is not closed"};
        pos_ = end + 2;
    }

    void skip_space_and_comments() {
        for (;;) {
            if (pos_ < text_.size() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) {
                ++pos_;
            } else if (at("//") || (at("#") && !at("#["))) {
                skip_line_comment();
            } else if (at("/*")) {
                skip_block_comment();
            } else {
                return;
            }
        }
    }

    std::string_view read_identifier() {
        const auto start = pos_;
        while (pos_ < text_.size() && is_identifier_char(peek())) ++pos_;
        return text_.substr(start, pos_ - start);
    }

    // `$name` was just read (at `start`); false when no assignment follows. A
    // plain `= 'literal';` that is a top-level statement of its own sets the
    // value; elsewhere it may not run, so it is refused. A compound or computed
    // assignment cannot be followed without running PHP, so it makes the file
    // unreadable rather than silently using an older value.
    bool read_assignment(std::string_view name, std::optional<WipedText>& value, std::size_t start,
                         bool starts_statement) {
        skip_space_and_comments();
        const bool compound = at(".=") || at("?\?=") || at("+=") || at("-=") || at("*=") || at("/=") || at("%=") ||
                              at("|=") || at("&=") || at("^=") || at("<<=") || at(">>=") || at("**=");
        if (compound) throw Unreadable{"$" + std::string(name) + " is changed by a compound assignment"};
        if (peek() != '=' || peek(1) == '=' || peek(1) == '>') return false;  // a use, a comparison or an array key
        if (!starts_statement) {
            throw Refused{start, "it assigns $" + std::string(name) +
                                     " inside a block, after a condition or within an expression, so whether "
                                     "it runs depends on PHP"};
        }
        ++pos_;
        skip_space_and_comments();
        if (peek() != '\'' && peek() != '"') throw not_literal(name);
        WipedText literal(read_string());
        skip_space_and_comments();
        if (peek() != ';' && !at("?>")) throw not_literal(name);
        value.emplace();
        value->text.swap(literal.text);
        return true;
    }

    static Unreadable not_literal(std::string_view name) {
        return Unreadable{"$" + std::string(name) + " is set to something other than one quoted string"};
    }

    // The value of the string literal at pos_ (', " or `), pos_ moved past it.
    std::string read_string() {
        const char quote = peek();
        ++pos_;
        std::string value;
        while (pos_ < text_.size() && peek() != quote) {
            if (quote == '\'') {
                read_single_quoted_char(value);
            } else {
                read_double_quoted_char(value, quote);
            }
        }
        if (pos_ >= text_.size()) {
            OPENSSL_cleanse(value.data(), value.size());
            throw Unreadable{"a quoted string is not closed"};
        }
        ++pos_;
        return value;
    }

    // In '...' only \' and \\ are escapes.
    void read_single_quoted_char(std::string& value) {
        if (peek() == '\\' && (peek(1) == '\'' || peek(1) == '\\')) {
            value += peek(1);
            pos_ += 2;
        } else {
            value += peek();
            ++pos_;
        }
    }

    // "..." as PHP reads it; an embedded variable ($name, {$...}) makes the
    // value computed, which is not read.
    void read_double_quoted_char(std::string& value, char quote) {
        const char c = peek();
        if ((c == '$' && (is_identifier_start(peek(1)) || peek(1) == '{')) || (c == '{' && peek(1) == '$')) {
            OPENSSL_cleanse(value.data(), value.size());
            throw Unreadable{"a double-quoted string embeds a variable"};
        }
        if (c != '\\') {
            value += c;
            ++pos_;
            return;
        }
        const char e = peek(1);
        pos_ += 2;
        switch (e) {
            case 'n': value += '\n'; return;
            case 't': value += '\t'; return;
            case 'r': value += '\r'; return;
            case 'v': value += '\v'; return;
            case 'e': value += '\x1b'; return;
            case 'f': value += '\f'; return;
            case '\\': value += '\\'; return;
            case '$': value += '$'; return;
            default: break;
        }
        if (e == quote) {
            value += e;
        } else if (is_octal(e)) {
            unsigned code = static_cast<unsigned>(e - '0');
            for (int digits = 1; digits < 3 && is_octal(peek()); ++digits, ++pos_) code = code * 8 + (peek() - '0');
            value += static_cast<char>(code & 0xff);
        } else if (e == 'x' && is_hex(peek())) {
            unsigned code = static_cast<unsigned>(hex_value(peek()));
            ++pos_;
            if (is_hex(peek())) code = code * 16 + static_cast<unsigned>(hex_value(peek())), ++pos_;
            value += static_cast<char>(code);
        } else if (e == 'u' && peek() == '{') {
            read_unicode_escape(value);
        } else {
            value += '\\';  // PHP keeps an unknown escape as written
            --pos_;
        }
    }

    // \u{HEX}: the code point in UTF-8; PHP refuses the file on a malformed one.
    void read_unicode_escape(std::string& value) {
        ++pos_;  // {
        unsigned long code = 0;
        std::size_t digits = 0;
        while (is_hex(peek()) && digits < 7)
            code = code * 16 + static_cast<unsigned long>(hex_value(peek())), ++pos_, ++digits;
        if (digits == 0 || peek() != '}' || code > 0x10ffff) throw Unreadable{"a \\u{...} escape is malformed"};
        ++pos_;
        append_utf8(value, code);
    }

    std::string_view text_;
    std::size_t pos_ = 0;
    int depth_ = 0;                // open ( [ { around pos_
    bool statement_start_ = true;  // pos_ begins a top-level statement
    std::string_view prev_, before_prev_;
};

// The 1-based line of `pos` in `text`.
std::size_t line_of(std::string_view text, std::size_t pos) {
    return 1 +
           static_cast<std::size_t>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

// PHP's empty(): "" and "0" count as not set, so Dolibarr falls back to the
// cookie key for them (master.inc.php).
bool php_empty(const std::optional<WipedText>& value) { return !value || value->text.empty() || value->text == "0"; }

}  // namespace

InstanceKey instance_key_from_conf(std::string_view php_text, std::string_view what) {
    std::optional<WipedText> unique_id, cookie_key;
    try {
        ConfScanner(php_text).scan(unique_id, cookie_key);
    } catch (const Unreadable& unreadable) {
        throw failure("could not read the instance id from " + std::string(what) + ": " + unreadable.reason,
                      "sandboxctl reads conf.php's assignments without running PHP; set the id as "
                      "$dolibarr_main_instance_unique_id = '...'; there.");
    } catch (const Refused& refused) {
        throw usage_error("could not read the instance id from " + std::string(what) + ": line " +
                              std::to_string(line_of(php_text, refused.pos)) + ": " + refused.reason,
                          "sandboxctl reads conf.php without running PHP, so it takes the id only from "
                          "$dolibarr_main_instance_unique_id = '...'; as a top-level statement, and refuses what "
                          "could change it; set the id that way and remove the construct on that line.");
    }
    // Dolibarr 23 (master.inc.php): $conf->file->instance_unique_id is the
    // unique id, else the cookie key; dolEncrypt/dolDecrypt use it for llx_const.
    std::optional<WipedText>& chosen = php_empty(unique_id) ? cookie_key : unique_id;
    if (php_empty(chosen)) {
        throw failure("could not read the instance id from " + std::string(what) +
                          ": it sets neither $dolibarr_main_instance_unique_id nor $dolibarr_main_cookie_cryptkey",
                      "Dolibarr encrypts stored secrets with this id; name the instance's own conf.php.");
    }
    InstanceKey key(chosen->text);
    return key;
}

bool same_instance(const InstanceKey& a, const InstanceKey& b) {
    std::array<unsigned char, dolcrypt_key_size> key_a{}, key_b{};
    std::copy_n(a.bytes().begin(), std::min(a.bytes().size(), key_a.size()), key_a.begin());
    std::copy_n(b.bytes().begin(), std::min(b.bytes().size(), key_b.size()), key_b.begin());
    const bool same = CRYPTO_memcmp(key_a.data(), key_b.data(), key_a.size()) == 0;
    OPENSSL_cleanse(key_a.data(), key_a.size());
    OPENSSL_cleanse(key_b.data(), key_b.size());
    return same;
}

InstanceKey read_instance_key(std::string_view location, const std::filesystem::path& base_dir, std::string_view what) {
    sync::Location where = sync::parse_location(location, what);
    if (where.is_local() && !base_dir.empty() && std::filesystem::path(where.path).is_relative()) {
        where.path = (base_dir / where.path).string();
        where.text = where.path;
    }
    sync::resolve_location(where);
    const WipedText content(sync::read_small_file(where, max_conf_bytes, what));
    return instance_key_from_conf(content.text, std::string(what) + " \"" + where.text + "\"");
}

}  // namespace sandboxctl::dolibarr
