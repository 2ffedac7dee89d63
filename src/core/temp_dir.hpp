#pragma once
#include <filesystem>
#include <string>

namespace sandboxctl {

// A private (0700) directory under $TMPDIR, removed with everything in it
// when the object goes out of scope, whichever way the scope is left.
class TempDir {
public:
    explicit TempDir(const std::string& prefix = "sandboxctl");
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

// Writes `content` to `path` with mode 0600, created exclusively.
void write_private_file(const std::filesystem::path& path, const std::string& content);

}  // namespace sandboxctl
