#pragma once
// What a masking rule does to one column's values. Every output but fixed's
// is derived from the keyed hash of the input (keyed_hash.hpp) under the
// transformer's own family, so one input gives one output wherever the same
// transformer meets it. NULL stays NULL, and an empty string stays empty (it
// holds nothing to hide, and a NOT NULL '' column keeps its meaning).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "masking/keyed_hash.hpp"

namespace sandboxctl::masking {

enum class Kind {
    email,
    name,
    first_name,
    last_name,
    username,
    company,
    phone,
    address,
    iban,
    text,
    null,
    fixed,
    keep
};

class Transformer {
public:
    // "email", "fixed:VALUE", ...; anything else is a usage error listing the
    // transformers (the caller places it in the file).
    static Transformer parse(std::string_view spec);

    Kind kind() const { return kind_; }
    // As written in the configuration ("fixed:..." shows its value: it is
    // configuration, not data).
    std::string spec() const;
    // Makes up a text value (every kind but null, fixed and keep): the
    // column must hold text.
    bool generates_text() const;

    std::optional<std::string> apply(const std::optional<std::string>& value, const KeyedHash& hash) const;

private:
    Transformer(Kind kind, std::string fixed) : kind_(kind), fixed_(std::move(fixed)) {}
    Kind kind_;
    std::string fixed_;
};

// The transformer names, for help texts and errors.
std::string transformer_list();

// An e-mail address as the email transformer reads it: lower case, without
// surrounding blanks (one address however prod spells it).
std::string normalized_email(std::string_view value);

// How many characters UTF-8 text holds (what varchar(n) counts).
std::size_t utf8_characters(std::string_view utf8);

}  // namespace sandboxctl::masking
