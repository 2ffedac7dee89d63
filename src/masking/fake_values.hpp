#pragma once
// The word lists masked values are made of: plausible, ASCII, and no one's
// real data. A value picks its words with numbers drawn from its keyed hash
// (Draw), so the same input always picks the same words.
#include <cstdint>
#include <span>
#include <string_view>

#include "masking/keyed_hash.hpp"

namespace sandboxctl::masking {

// Numbers drawn from one digest: its four 64-bit words first, then a
// splitmix64 sequence seeded from them (the digest already carries the key;
// what follows only has to be deterministic and well spread).
class Draw {
public:
    explicit Draw(const Digest& digest);
    std::uint64_t next();
    // A number in [0, bound).
    std::uint64_t below(std::uint64_t bound) { return next() % bound; }
    std::string_view pick(std::span<const std::string_view> words) { return words[below(words.size())]; }

private:
    std::uint64_t words_[4];
    int used_ = 0;
    std::uint64_t state_;
};

namespace words {
std::span<const std::string_view> first_names();
std::span<const std::string_view> last_names();
std::span<const std::string_view> company_adjectives();
std::span<const std::string_view> company_nouns();
std::span<const std::string_view> company_suffixes();
std::span<const std::string_view> street_names();
std::span<const std::string_view> street_kinds();
std::span<const std::string_view> lorem();
}  // namespace words

}  // namespace sandboxctl::masking
