#include "core/number.hpp"

#include <charconv>

namespace sandboxctl {

std::optional<long long> to_integer(std::string_view text, int base) {
    long long value = 0;
    const char* end = text.data() + text.size();
    auto [stop, error] = std::from_chars(text.data(), end, value, base);
    if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
    return value;
}

}  // namespace sandboxctl
