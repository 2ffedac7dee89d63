#pragma once
// Integers read from text others wrote (a remote listing, a server's
// answer, a file name): std::stoll throws a bare std::invalid_argument that
// names nothing, and accepts "12abc". These say "no" instead, so the caller
// can name the file or the peer in its error.
#include <optional>
#include <string_view>

namespace sandboxctl {

// The integer that is all of `text` (an optional '-', then digits in
// `base`), or nullopt: empty, other characters, or out of range.
std::optional<long long> to_integer(std::string_view text, int base = 10);

// The decimal digits that `text` starts with, as a number, which are then
// removed from `text`; nullopt (and `text` unchanged) when it starts with
// none or they are out of range. For numbers inside a larger text ("30s",
// a pg_restore list line).
std::optional<long long> consume_integer(std::string_view& text);

}  // namespace sandboxctl
