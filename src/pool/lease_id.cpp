#include "pool/lease_id.hpp"

#include <fmt/format.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

#include "core/checksum.hpp"
#include "core/error.hpp"

namespace sandboxctl::pool {
namespace {

constexpr std::size_t random_bytes = 16;

Error not_a_lease(const std::string& text) {
    // The text may be anything the caller pasted: not echoed whole.
    return usage_error(fmt::format("\"{}\" is not a lease id", text.substr(0, 12) + (text.size() > 12 ? "..." : "")),
                       "Give the id \"sandboxctl lease\" printed (K-HEX).");
}

}  // namespace

std::string new_lease_id(int member_number) {
    std::array<unsigned char, random_bytes> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
        throw failure("could not draw a lease id: the system's random source failed");
    std::string hex;
    for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
    return fmt::format("{}-{}", member_number, hex);
}

int member_of_lease(const std::string& lease_id) {
    auto dash = lease_id.find('-');
    if (dash == std::string::npos || lease_id.size() - dash - 1 != 2 * random_bytes) throw not_a_lease(lease_id);
    for (char c : lease_id.substr(dash + 1)) {
        if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) throw not_a_lease(lease_id);
    }
    int number = 0;
    auto [end, error] = std::from_chars(lease_id.data(), lease_id.data() + dash, number);
    if (error != std::errc{} || end != lease_id.data() + dash || number < 1) throw not_a_lease(lease_id);
    return number;
}

std::string lease_hash(const std::string& lease_id) {
    Sha256 hash;
    hash.update(lease_id.data(), lease_id.size());
    return hash.hex();
}

}  // namespace sandboxctl::pool
