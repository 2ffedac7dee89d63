#pragma once
// Dolibarr's "dolcrypt" encryption of stored secrets (htdocs/core/lib/
// security.lib.php): "dolcrypt:AES-256-CTR:<IV>:<base64 ciphertext>", where
// the key is the instance's $dolibarr_main_instance_unique_id used as-is and
// the IV is 16 ASCII characters used as the 16 IV bytes. AES through OpenSSL's
// libcrypto. Keys and plain values live in memory only: nothing here logs.
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
// algorithm other than AES-256-CTR, or is malformed. CTR has no integrity
// check: a wrong key yields garbage, which the caller cannot tell from data.
std::optional<std::string> decrypt(std::string_view stored, const InstanceKey& key);

// The stored form of `plain` under `key` with `iv` (16 characters).
std::string encrypt(std::string_view plain, const InstanceKey& key, std::string_view iv);

// A fresh IV as Dolibarr makes one: 8 random bytes as 16 hex characters.
std::string random_iv();

// The IV of Dolibarr's "forced seed" mode (substr(md5("dolibarr"), 0, 16)),
// used for llx_user.api_key so a key can be looked up by its encrypted value.
std::string fixed_iv();

}  // namespace sandboxctl::dolibarr
