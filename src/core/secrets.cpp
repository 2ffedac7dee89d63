#include "core/secrets.hpp"

#include <mutex>
#include <regex>
#include <vector>

namespace sandboxctl::secrets {
namespace {

constexpr const char* mask = "********";

std::mutex mutex;
std::vector<std::string>& registry() {
    static std::vector<std::string> known;
    return known;
}

// A secret is hidden where it stands as a value, never as a substring of
// other text: masking "public" everywhere would turn "public.llx_c_regions"
// into "********.llx_c_regions" and so tell the reader the password.
const std::regex& keyword_value() {
    // password=value, password = 'quoted \' value', PGPASSWORD=value
    static const std::regex pattern(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s'&]+))", std::regex::icase);
    return pattern;
}

const std::regex& uri_userinfo() {
    // postgresql://user:secret@host
    static const std::regex pattern(R"((postgres(?:ql)?://[^\s/:@]*:)([^\s/@]*)(@))", std::regex::icase);
    return pattern;
}

// host:port:database:user:password, a passfile line; only masked when the
// last field is a password sandboxctl knows, since many lines have colons.
std::string mask_passfile_lines(std::string text, const std::vector<std::string>& known) {
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::size_t colon = start;
        int fields = 0;
        for (std::size_t i = start; i < end && fields < 4; ++i) {
            if (text[i] == '\\') {
                ++i;
            } else if (text[i] == ':') {
                ++fields;
                colon = i;
            }
        }
        if (fields == 4) {
            std::string value = text.substr(colon + 1, end - colon - 1);
            for (const auto& secret : known) {
                if (value == secret) {
                    text.replace(colon + 1, end - colon - 1, mask);
                    end = colon + 1 + std::string_view(mask).size();
                    break;
                }
            }
        }
        start = end + 1;
    }
    return text;
}

}  // namespace

void remember(std::string_view secret) {
    if (secret.empty()) return;
    std::lock_guard lock(mutex);
    registry().emplace_back(secret);
}

std::string redact(std::string_view text) {
    std::string out = std::regex_replace(std::string(text), keyword_value(), std::string("$1") + mask);
    out = std::regex_replace(out, uri_userinfo(), std::string("$1") + mask + "$3");
    std::lock_guard lock(mutex);
    return mask_passfile_lines(std::move(out), registry());
}

}  // namespace sandboxctl::secrets
