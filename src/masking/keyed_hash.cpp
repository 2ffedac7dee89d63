#include "masking/keyed_hash.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "core/error.hpp"

namespace sandboxctl::masking {

// A keyed context set up once; each digest works on a copy of it, so the key
// schedule is not redone per value and digest() stays const and reentrant.
struct KeyedHash::State {
    struct MacFree {
        void operator()(EVP_MAC* algorithm) const { EVP_MAC_free(algorithm); }
        void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
    };
    std::unique_ptr<EVP_MAC, MacFree> mac;
    std::unique_ptr<EVP_MAC_CTX, MacFree> keyed;
};

KeyedHash::KeyedHash(std::string_view key) : state_(std::make_unique<State>()) {
    state_->mac.reset(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
    if (!state_->mac) throw failure("could not set up HMAC: OpenSSL has no HMAC implementation");
    state_->keyed.reset(EVP_MAC_CTX_new(state_->mac.get()));
    char digest_name[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
                           OSSL_PARAM_construct_end()};
    if (!state_->keyed || EVP_MAC_init(state_->keyed.get(), reinterpret_cast<const unsigned char*>(key.data()),
                                       key.size(), params) != 1) {
        throw failure("could not set up HMAC-SHA-256: OpenSSL refused the masking key");
    }
}

KeyedHash::~KeyedHash() = default;

Digest KeyedHash::digest(std::string_view family, std::string_view value) const {
    std::unique_ptr<EVP_MAC_CTX, State::MacFree> context(EVP_MAC_CTX_dup(state_->keyed.get()));
    const unsigned char separator = 0;
    Digest out{};
    std::size_t length = 0;
    if (!context ||
        EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(family.data()), family.size()) != 1 ||
        EVP_MAC_update(context.get(), &separator, 1) != 1 ||
        EVP_MAC_update(context.get(), reinterpret_cast<const unsigned char*>(value.data()), value.size()) != 1 ||
        EVP_MAC_final(context.get(), out.data(), &length, out.size()) != 1 || length != out.size()) {
        throw failure("could not compute HMAC-SHA-256 of a masked value");
    }
    return out;
}

}  // namespace sandboxctl::masking
