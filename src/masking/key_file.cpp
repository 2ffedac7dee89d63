#include "masking/key_file.hpp"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace sandboxctl::masking {
namespace {

constexpr std::size_t key_bytes = 32;

std::string to_hex(const unsigned char* bytes, std::size_t size) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[bytes[i] >> 4];
        out += digits[bytes[i] & 0xf];
    }
    return out;
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A new key, written with O_EXCL: two first runs cannot each make their own.
void create_key(const std::filesystem::path& file) {
    std::error_code ignored;
    if (file.has_parent_path() && !std::filesystem::exists(file.parent_path(), ignored)) {
        std::filesystem::create_directories(file.parent_path());
        std::filesystem::permissions(file.parent_path(), std::filesystem::perms::owner_all);
    }
    unsigned char bytes[key_bytes];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw failure("could not create a masking key: OpenSSL has no randomness");
    Fd fd = open_fd(file, O_WRONLY | O_CREAT | O_EXCL, 0600);
    write_all(fd.get(), to_hex(bytes, sizeof bytes) + "\n", file.string());
    fsync_fd(fd.get(), file.string());
    fd.close(file.string());
    if (file.has_parent_path()) fsync_directory(file.parent_path());
}

std::string parse_key(const std::string& text, const std::filesystem::path& file) {
    std::string hex = text;
    while (!hex.empty() && (hex.back() == '\n' || hex.back() == '\r')) hex.pop_back();
    // The content is never quoted back: a key with a typo is still a key.
    if (hex.size() != key_bytes * 2) {
        throw usage_error(fmt::format("masking key file \"{}\" does not hold a key", file.string()),
                          "It must hold 64 hexadecimal digits (32 bytes). Move it away and sandboxctl creates a new "
                          "key at the next refresh, which changes every masked value.");
    }
    std::string key;
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int high = hex_digit(hex[i]), low = hex_digit(hex[i + 1]);
        if (high < 0 || low < 0)
            throw usage_error(fmt::format("masking key file \"{}\" does not hold a key", file.string()),
                              "It must hold 64 hexadecimal digits (32 bytes).");
        key += static_cast<char>(high * 16 + low);
    }
    return key;
}

}  // namespace

std::string read_key(const std::filesystem::path& file, KeyUse use) {
    struct stat st {};
    if (stat(file.c_str(), &st) != 0) {
        if (errno != ENOENT)
            throw usage_error(
                fmt::format("could not read masking key file \"{}\": {}", file.string(), std::strerror(errno)));
        if (use == KeyUse::must_exist) {
            throw usage_error(fmt::format("masking key file \"{}\" does not exist", file.string()),
                              "The first masked refresh creates it; without the key a masked value cannot be "
                              "recomputed.");
        }
        try {
            create_key(file);
        } catch (...) {
            rethrow_with_context("could not create masking key file \"" + file.string() + "\"");
        }
        return read_key(file, KeyUse::must_exist);
    }
    if (!S_ISREG(st.st_mode))
        throw usage_error(fmt::format("masking key file \"{}\" is not a regular file", file.string()));
    if ((st.st_mode & 077) != 0) {
        throw usage_error(fmt::format("masking key file \"{}\" is readable or writable by others (mode {:o})",
                                      file.string(), st.st_mode & 0777),
                          fmt::format("Run: chmod 600 '{}'", file.string()));
    }
    Fd fd = open_fd(file, O_RDONLY);
    std::string text(128, '\0');
    ssize_t n = ::read(fd.get(), text.data(), text.size());
    if (n < 0)
        throw usage_error(
            fmt::format("could not read masking key file \"{}\": {}", file.string(), std::strerror(errno)));
    text.resize(static_cast<std::size_t>(n));
    return parse_key(text, file);
}

}  // namespace sandboxctl::masking
