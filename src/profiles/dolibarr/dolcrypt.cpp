#include "profiles/dolibarr/dolcrypt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace sandboxctl::dolibarr {
namespace {

constexpr std::string_view dolcrypt_prefix = "dolcrypt:";
constexpr std::string_view algorithm = "AES-256-CTR";
constexpr std::size_t key_size = 32;
constexpr std::size_t iv_size = 16;

// A key or IV buffer that does not outlive its use: wiped when it goes away.
template <std::size_t N>
class WipedBytes {
public:
    // PHP's openssl_encrypt/openssl_decrypt pad a short key or IV with NUL bytes
    // and cut a long one (with a warning); Dolibarr passes both through as given.
    explicit WipedBytes(std::string_view text) {
        bytes_.fill(0);
        for (std::size_t i = 0; i < N && i < text.size(); ++i) bytes_[i] = static_cast<unsigned char>(text[i]);
    }
    ~WipedBytes() { OPENSSL_cleanse(bytes_.data(), bytes_.size()); }
    WipedBytes(const WipedBytes&) = delete;
    WipedBytes& operator=(const WipedBytes&) = delete;
    const unsigned char* data() const { return bytes_.data(); }

private:
    std::array<unsigned char, N> bytes_{};
};

struct CipherContextFree {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// AES-256-CTR is a stream cipher: encrypting and decrypting are the same
// keystream XOR, and the output is as long as the input.
std::string aes_256_ctr(std::string_view input, const InstanceKey& key, std::string_view iv) {
    CipherContext context(EVP_CIPHER_CTX_new());
    if (!context) throw failure("could not set up AES-256-CTR: out of memory");
    const WipedBytes<key_size> key_bytes(key.bytes());
    const WipedBytes<iv_size> iv_bytes(iv);
    if (EVP_CipherInit_ex(context.get(), EVP_aes_256_ctr(), nullptr, key_bytes.data(), iv_bytes.data(), 1) != 1) {
        throw failure("could not set up AES-256-CTR: OpenSSL refused the key");
    }
    std::string output(input.size(), '\0');
    int written = 0;
    if (!input.empty() &&
        EVP_CipherUpdate(context.get(), reinterpret_cast<unsigned char*>(output.data()), &written,
                         reinterpret_cast<const unsigned char*>(input.data()), static_cast<int>(input.size())) != 1) {
        throw failure("could not run AES-256-CTR");
    }
    int tail = 0;
    if (EVP_CipherFinal_ex(context.get(), reinterpret_cast<unsigned char*>(output.data()) + written, &tail) != 1) {
        throw failure("could not run AES-256-CTR");
    }
    output.resize(static_cast<std::size_t>(written + tail));
    return output;
}

std::string base64_encode(std::string_view bytes) {
    std::string text(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    const int length =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()),
                        reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
    text.resize(static_cast<std::size_t>(length));
    return text;
}

template <std::size_t N>
std::string lowercase_hex(const std::array<unsigned char, N>& bytes, std::size_t count) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string hex;
    for (std::size_t i = 0; i < count && i < N; ++i) {
        hex += digits[bytes[i] >> 4];
        hex += digits[bytes[i] & 0x0f];
    }
    return hex;
}

bool is_base64_character(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/';
}

// Canonical, padded base64 only (what openssl_encrypt writes). PHP decodes
// leniently (it skips stray characters and accepts missing padding); such
// text was never written by Dolibarr, so it counts as malformed here.
std::optional<std::string> base64_decode(std::string_view text) {
    if (text.empty() || text.size() % 4 != 0) return std::nullopt;
    std::size_t padding = 0;
    while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
    for (std::size_t i = 0; i + padding < text.size(); ++i) {
        if (!is_base64_character(text[i])) return std::nullopt;
    }
    // EVP_DecodeBlock counts the padding as zero bytes and skips surrounding
    // whitespace; the check above leaves neither to chance.
    std::string bytes(3 * (text.size() / 4), '\0');
    const int length =
        EVP_DecodeBlock(reinterpret_cast<unsigned char*>(bytes.data()),
                        reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
    if (length < 0 || static_cast<std::size_t>(length) != bytes.size()) return std::nullopt;
    bytes.resize(bytes.size() - padding);
    return bytes;
}

// Dolibarr 23's dolDecrypt refuses a result that is not pure ASCII
// (ascii_check(): mb_check_encoding($s, 'ASCII')) and takes it for a wrong key,
// keeping the stored text. A wrong key gives random bytes: n of them pass this
// test with probability 2^-n, so short values can still come out as garbage.
bool is_ascii(std::string_view text) {
    for (const char c : text) {
        if (static_cast<unsigned char>(c) > 0x7f) return false;
    }
    return true;
}

bool same_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
}

// The parts of Dolibarr's pattern /^dolcrypt:([^:]+):(.+)$/: the algorithm and
// the rest. As in PCRE, "." stops at a line break and "$" also matches before a
// final one.
struct StoredParts {
    std::string_view algorithm;
    std::string_view rest;
};

std::optional<StoredParts> split_stored(std::string_view stored) {
    if (!stored.starts_with(dolcrypt_prefix)) return std::nullopt;
    std::string_view tail = stored.substr(dolcrypt_prefix.size());
    if (tail.ends_with('\n')) tail.remove_suffix(1);
    const auto colon = tail.find(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    StoredParts parts{tail.substr(0, colon), tail.substr(colon + 1)};
    if (parts.rest.empty() || parts.rest.find('\n') != std::string_view::npos) return std::nullopt;
    if (parts.algorithm.find('\n') != std::string_view::npos) return std::nullopt;
    return parts;
}

}  // namespace

namespace {

// The whole buffer, past size() too: a short string lives inside the object,
// and a move copies it out of there rather than taking it.
void wipe(std::string& text) {
    text.resize(text.capacity());
    OPENSSL_cleanse(text.data(), text.size());
    text.clear();
}

}  // namespace

InstanceKey::InstanceKey(std::string id) : id_(id) { wipe(id); }

InstanceKey::~InstanceKey() { wipe(id_); }

bool is_dolcrypt(std::string_view value) { return value.starts_with(dolcrypt_prefix); }

std::optional<std::string> decrypt(std::string_view stored, const InstanceKey& key) {
    const auto parts = split_stored(stored);
    if (!parts || key.bytes().empty()) return std::nullopt;
    // OpenSSL looks cipher names up without regard to case, so PHP accepts "aes-256-ctr".
    if (!same_ignoring_case(parts->algorithm, algorithm)) return std::nullopt;
    // "IV:CIPHERTEXT"; without a second part the whole rest is the ciphertext
    // under an empty IV, which PHP pads to 16 NUL bytes. Further parts are ignored.
    std::string_view iv;
    std::string_view ciphertext = parts->rest;
    const auto colon = parts->rest.find(':');
    if (colon != std::string_view::npos) {
        std::string_view second = parts->rest.substr(colon + 1);
        second = second.substr(0, second.find(':'));
        if (!second.empty() && second != "0") {  // PHP's empty() is true for "0"
            iv = parts->rest.substr(0, colon);
            ciphertext = second;
        } else {
            ciphertext = parts->rest.substr(0, colon);
        }
    }
    const auto bytes = base64_decode(ciphertext);
    if (!bytes) return std::nullopt;
    std::string plain = aes_256_ctr(*bytes, key, iv);
    if (!is_ascii(plain)) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return std::nullopt;
    }
    return plain;
}

std::string encrypt(std::string_view plain, const InstanceKey& key, std::string_view iv) {
    // As dolEncrypt: nothing to hide in an empty value, and a value already in
    // the stored form is kept, not encrypted twice.
    if (plain.empty() || split_stored(plain)) return std::string(plain);
    // Programming errors: InstanceKey from conf.php is never empty, IVs come from random_iv/fixed_iv.
    if (key.bytes().empty()) throw failure("could not encrypt a value: the instance key is empty");
    if (iv.size() != iv_size) throw failure("could not encrypt a value: the IV is not 16 characters");
    std::string stored = std::string(dolcrypt_prefix) + std::string(algorithm) + ":" + std::string(iv) + ":";
    return stored + base64_encode(aes_256_ctr(plain, key, iv));
}

std::string random_iv() {
    std::array<unsigned char, iv_size / 2> bytes{};
    if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
        throw failure("could not make an IV: OpenSSL's random generator failed");
    }
    return lowercase_hex(bytes, bytes.size());
}

std::string fixed_iv() {
    static constexpr std::string_view seed = "dolibarr";
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(seed.data(), seed.size(), digest.data(), &length, EVP_md5(), nullptr) != 1) {
        throw failure("could not compute MD5 for the fixed IV");
    }
    // md5() in PHP is lowercase hex; Dolibarr keeps its first 16 characters.
    return lowercase_hex(digest, length).substr(0, iv_size);
}

}  // namespace sandboxctl::dolibarr
