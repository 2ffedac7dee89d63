#include "dolibarr/conf_php.hpp"

#include <openssl/crypto.h>

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
// content must not be mistaken for code).
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
            } else if (peek() == '\'' || peek() == '"' || peek() == '`') {
                WipedText skipped(read_string());
            } else if (peek() == '$' && is_identifier_start(peek(1))) {
                ++pos_;
                const std::string_view name = read_identifier();
                if (name == unique_id_name) read_assignment(name, unique_id);
                if (name == cookie_key_name) read_assignment(name, cookie_key);
            } else {
                ++pos_;
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
        if (at("php")) pos_ += 3;  // "<?=" and "<?" open PHP too
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

    // `$name` was just read. A plain `= 'literal';` sets the value; a compound or
    // computed assignment cannot be followed without running PHP, so it makes
    // the file unreadable rather than silently using an older value.
    void read_assignment(std::string_view name, std::optional<WipedText>& value) {
        skip_space_and_comments();
        const bool compound = at(".=") || at("?\?=") || at("+=") || at("-=") || at("*=") || at("/=") || at("%=") ||
                              at("|=") || at("&=") || at("^=") || at("<<=") || at(">>=") || at("**=");
        if (compound) throw Unreadable{"$" + std::string(name) + " is changed by a compound assignment"};
        if (peek() != '=' || peek(1) == '=' || peek(1) == '>') return;  // a use, a comparison or an array key
        ++pos_;
        skip_space_and_comments();
        if (peek() != '\'' && peek() != '"') throw not_literal(name);
        WipedText literal(read_string());
        skip_space_and_comments();
        if (peek() != ';' && !at("?>")) throw not_literal(name);
        value.emplace();
        value->text.swap(literal.text);
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
};

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
