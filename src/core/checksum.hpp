#pragma once
// SHA-256 (OpenSSL) for snapshot file checksums.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace sandboxctl {

class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256&) = delete;
    Sha256& operator=(const Sha256&) = delete;

    void update(const void* data, std::size_t size);
    // Lower-case hex digest; the object cannot be updated afterwards.
    std::string hex();

private:
    struct Context;
    std::unique_ptr<Context> context_;
};

std::string sha256_of_file(const std::filesystem::path& path);

}  // namespace sandboxctl
