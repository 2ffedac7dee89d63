#pragma once
// Dolibarr's "dolcrypt" encryption of stored secrets (htdocs/core/lib/
// security.lib.php, dolEncrypt/dolDecrypt of Dolibarr 23):
// "dolcrypt:AES-256-CTR:<IV>:<base64 ciphertext>", where the key is the
// instance's $dolibarr_main_instance_unique_id used as-is (as PHP's openssl
// does: NUL-padded to 32 bytes when shorter, cut when longer) and the IV is 16
// ASCII characters used as the 16 IV bytes. AES through OpenSSL's libcrypto.
// Keys and plain values live in memory only: nothing here logs.
#include <optional>
#include <string>
#include <string_view>

namespace sandboxctl::dolibarr {

// An instance's dolcrypt key. Never printed: it has no conversion to text.
class InstanceKey {
public:
    explicit InstanceKey(std::string id);
    InstanceKey(const InstanceKey&) = default;
    InstanceKey& operator=(const InstanceKey&) = default;
    ~InstanceKey();  // wipes the bytes
    const std::string& bytes() const { return id_; }

private:
    std::string id_;
};

// Whether `value` is in the stored form (any algorithm).
bool is_dolcrypt(std::string_view value);

// The plain text of a stored value; nullopt when it is not dolcrypt, names an
// algorithm other than AES-256-CTR (any case), is malformed (the ciphertext
// must be canonical padded base64), or decrypts to something that is not pure
// ASCII. The last is Dolibarr 23's own wrong-key test (dolDecrypt's
// ascii_check, after which Dolibarr keeps the stored text): CTR has no
// integrity check, so a wrong key yields random bytes, and a short value can
// still pass as ASCII garbage. A non-ASCII plain value is thus undecryptable
// for Dolibarr too. As dolDecrypt: "dolcrypt:ALGO:CIPHERTEXT" (no IV part)
// means a zero IV, and an IV of another length is NUL-padded or cut to 16.
std::optional<std::string> decrypt(std::string_view stored, const InstanceKey& key);

// The stored form of `plain` under `key` with `iv` (16 characters). As
// dolEncrypt: "" stays "" and a value already in the stored form is returned
// unchanged. An empty key or an IV of another length throws failure.
std::string encrypt(std::string_view plain, const InstanceKey& key, std::string_view iv);

// A fresh IV as Dolibarr makes one: 8 random bytes as 16 hex characters.
std::string random_iv();

// The IV of Dolibarr's "forced seed" mode (substr(md5("dolibarr"), 0, 16)),
// used for llx_user.api_key so a key can be looked up by its encrypted value.
std::string fixed_iv();

}  // namespace sandboxctl::dolibarr
