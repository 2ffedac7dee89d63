#include "core/secrets.hpp"

#include <mutex>
#include <vector>

namespace sandboxctl::secrets {
namespace {

std::mutex mutex;
std::vector<std::string>& registry() {
    static std::vector<std::string> known;
    return known;
}

}  // namespace

void remember(std::string_view secret) {
    if (secret.empty()) return;
    std::lock_guard lock(mutex);
    registry().emplace_back(secret);
}

std::string redact(std::string_view text) {
    std::string out(text);
    std::lock_guard lock(mutex);
    for (const auto& secret : registry()) {
        for (auto pos = out.find(secret); pos != std::string::npos; pos = out.find(secret, pos)) {
            out.replace(pos, secret.size(), "********");
            pos += 8;
        }
    }
    return out;
}

}  // namespace sandboxctl::secrets
