#include "dolibarr/dolcrypt.hpp"

#include <openssl/crypto.h>

#include <utility>

namespace sandboxctl::dolibarr {

InstanceKey::InstanceKey(std::string id) : id_(std::move(id)) {}

InstanceKey::~InstanceKey() { OPENSSL_cleanse(id_.data(), id_.size()); }

bool is_dolcrypt(std::string_view value) { return value.starts_with("dolcrypt:"); }

std::optional<std::string> decrypt(std::string_view /*stored*/, const InstanceKey& /*key*/) { return std::nullopt; }

std::string encrypt(std::string_view /*plain*/, const InstanceKey& /*key*/, std::string_view /*iv*/) { return {}; }

std::string random_iv() { return {}; }

std::string fixed_iv() { return {}; }

}  // namespace sandboxctl::dolibarr
