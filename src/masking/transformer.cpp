#include "masking/transformer.hpp"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <utility>

#include "core/error.hpp"
#include "masking/fake_values.hpp"

namespace sandboxctl::masking {
namespace {

constexpr std::array<std::pair<std::string_view, Kind>, 12> named_kinds = {{
    {"email", Kind::email},
    {"name", Kind::name},
    {"first_name", Kind::first_name},
    {"last_name", Kind::last_name},
    {"username", Kind::username},
    {"company", Kind::company},
    {"phone", Kind::phone},
    {"address", Kind::address},
    {"iban", Kind::iban},
    {"text", Kind::text},
    {"null", Kind::null},
    {"keep", Kind::keep},
}};
constexpr std::string_view fixed_prefix = "fixed:";

std::string_view family(Kind kind) {
    for (const auto& [name, k] : named_kinds) {
        if (k == kind) return name;
    }
    return "fixed";
}

std::string lower(std::string_view text) {
    std::string out(text);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string trimmed(std::string_view text) {
    auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    auto last = text.find_last_not_of(" \t\r\n");
    return std::string(text.substr(first, last - first + 1));
}

std::string person(Draw& draw) {
    return fmt::format("{} {}", draw.pick(words::first_names()), draw.pick(words::last_names()));
}

// first.last1234@example.invalid: a reserved domain (RFC 6761) no mail can
// reach; the number spreads 4096 name pairs over about 4e15 addresses, so
// that ten million distinct inputs collide with odds of about 1 in 80.
std::string email(Draw& draw) {
    return fmt::format("{}.{}{}@example.invalid", lower(draw.pick(words::first_names())),
                       lower(draw.pick(words::last_names())), draw.below(1000000000000ULL));
}

// emartin48213377: about 1e11 logins, so a hundred thousand users collide
// with odds of about 1 in 20.
std::string username(Draw& draw) {
    return fmt::format("{}{}{}", lower(draw.pick(words::first_names()).substr(0, 1)),
                       lower(draw.pick(words::last_names())), draw.below(100000000));
}

std::string company(Draw& draw) {
    return fmt::format("{} {} {}", draw.pick(words::company_adjectives()), draw.pick(words::company_nouns()),
                       draw.pick(words::company_suffixes()));
}

std::string address(Draw& draw) {
    return fmt::format("{} {} {}", 1 + draw.below(299), draw.pick(words::street_names()),
                       draw.pick(words::street_kinds()));
}

// Every ASCII digit redrawn and the layout characters (+, space, - . ( ) /)
// kept: the number keeps its digit count and its layout. Anything else (a
// word, a name, a digit of another script) is dropped: a phone column can
// hold "ask for Alice" too. A leading 0 (a national prefix) stays a 0; a
// value left without a digit becomes a made-up national number.
std::string phone(std::string_view value, Draw& draw) {
    constexpr std::string_view layout = "+ -.()/";
    std::string out;
    bool first_digit = true;
    for (char c : value) {
        if (c >= '0' && c <= '9') {
            out += first_digit && c == '0' ? '0' : static_cast<char>('0' + draw.below(10));
            first_digit = false;
        } else if (layout.find(c) != std::string_view::npos) {
            out += c;
        }
    }
    if (first_digit) {
        out = "0" + std::to_string(1 + draw.below(9));
        for (int i = 0; i < 8; ++i) out += static_cast<char>('0' + draw.below(10));
    }
    return out;
}

// ISO 13616 check digits: 98 - (BBAN + country letters as numbers + "00") mod 97.
std::string iban_check_digits(std::string_view country, std::string_view bban) {
    std::string digits(bban);
    for (char c : country) digits += std::to_string(c - 'A' + 10);
    digits += "00";
    unsigned remainder = 0;
    for (char c : digits) remainder = (remainder * 10 + static_cast<unsigned>(c - '0')) % 97;
    return fmt::format("{:02}", 98 - remainder);
}

// The input's country and length (a French IBAN stays a 27-character French
// IBAN), a numeric BBAN drawn from the hash, valid check digits; grouped by
// four when the input was.
std::string iban(std::string_view value, Draw& draw) {
    std::string compact;
    for (char c : value) {
        if (std::isalnum(static_cast<unsigned char>(c)))
            compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    std::string country = "FR";
    if (compact.size() >= 2 && std::isalpha(static_cast<unsigned char>(compact[0])) &&
        std::isalpha(static_cast<unsigned char>(compact[1])))
        country = compact.substr(0, 2);
    std::size_t length = compact.size() >= 15 && compact.size() <= 34 ? compact.size() : 27;
    std::string bban;
    for (std::size_t i = 4; i < length; ++i) bban += static_cast<char>('0' + draw.below(10));
    std::string out = country + iban_check_digits(country, bban) + bban;
    if (value.find(' ') == std::string_view::npos) return out;
    std::string grouped;
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (i && i % 4 == 0) grouped += ' ';
        grouped += out[i];
    }
    return grouped;
}

// Lorem ipsum words, as many characters as the input had (a 12-character
// label stays 12 characters; a long note stays long).
std::string text(std::string_view value, Draw& draw) {
    std::size_t length = utf8_characters(value);
    std::string out;
    while (out.size() < length) {
        if (!out.empty()) out += ' ';
        out += draw.pick(words::lorem());
    }
    out.resize(length);
    if (!out.empty() && out.back() == ' ') out.back() = 'x';
    return out;
}

}  // namespace

Transformer Transformer::parse(std::string_view spec) {
    if (spec.starts_with(fixed_prefix)) return {Kind::fixed, std::string(spec.substr(fixed_prefix.size()))};
    for (const auto& [name, kind] : named_kinds) {
        if (spec == name) return {kind, {}};
    }
    throw usage_error(fmt::format("unknown masking transformer \"{}\"", spec),
                      "Use one of: " + transformer_list() + ".");
}

std::string Transformer::spec() const {
    return kind_ == Kind::fixed ? std::string(fixed_prefix) + fixed_ : std::string(family(kind_));
}

bool Transformer::generates_text() const { return kind_ != Kind::null && kind_ != Kind::fixed && kind_ != Kind::keep; }

std::optional<std::string> Transformer::apply(const std::optional<std::string>& value, const KeyedHash& hash) const {
    if (!value) return std::nullopt;
    switch (kind_) {
        case Kind::keep: return value;
        case Kind::null: return std::nullopt;
        case Kind::fixed: return fixed_;
        default: break;
    }
    if (value->empty()) return value;
    // An e-mail address is one whatever its case or surrounding blanks, so
    // joins on it survive a prod that spells it two ways.
    std::string input = kind_ == Kind::email ? normalized_email(*value) : *value;
    Draw draw(hash.digest(family(kind_), input));
    switch (kind_) {
        case Kind::email: return email(draw);
        case Kind::name: return person(draw);
        case Kind::first_name: return std::string(draw.pick(words::first_names()));
        case Kind::last_name: return std::string(draw.pick(words::last_names()));
        case Kind::username: return username(draw);
        case Kind::company: return company(draw);
        case Kind::phone: return phone(*value, draw);
        case Kind::address: return address(draw);
        case Kind::iban: return iban(*value, draw);
        case Kind::text: return text(*value, draw);
        default: return value;
    }
}

std::string normalized_email(std::string_view value) { return lower(trimmed(value)); }

std::size_t utf8_characters(std::string_view utf8) {
    std::size_t n = 0;
    for (char c : utf8) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
    return n;
}

std::string transformer_list() {
    std::string out;
    for (const auto& [name, kind] : named_kinds) out += std::string(name) + ", ";
    return out + "fixed:VALUE";
}

}  // namespace sandboxctl::masking
