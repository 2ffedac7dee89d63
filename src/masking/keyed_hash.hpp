#pragma once
// The one secret every masked value derives from: HMAC-SHA-256 under the
// masking key (OpenSSL), so the same input gives the same output in every
// table, column and run, and no one without the key can map an output back
// to its input by hashing guesses.
#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace sandboxctl::masking {

using Digest = std::array<unsigned char, 32>;

class KeyedHash {
public:
    // `key`: the raw key bytes (key_file.hpp reads them).
    explicit KeyedHash(std::string_view key);
    ~KeyedHash();
    KeyedHash(const KeyedHash&) = delete;
    KeyedHash& operator=(const KeyedHash&) = delete;

    // HMAC(key, family NUL value): `family` keeps the outputs of two
    // transformers of one value apart (an e-mail's hash is not its name's).
    Digest digest(std::string_view family, std::string_view value) const;

private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace sandboxctl::masking
