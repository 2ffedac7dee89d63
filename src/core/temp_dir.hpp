#pragma once
#include <filesystem>
#include <string>

namespace sandboxctl {

// A private (0700) directory under $TMPDIR, removed with everything in it
// when the object goes out of scope, whichever way the scope is left. Its
// name carries the pid ("sandboxctl-refresh.1234.Ab12Cd"), so the next run
// removes what a run killed with SIGKILL left behind.
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

// A run killed with SIGKILL cannot remove its directory: each command starts
// by removing this user's directories whose run is gone.
void remove_temp_dirs_of_dead_runs();

// Writes `content` to `path` with mode 0600, created exclusively.
void write_private_file(const std::filesystem::path& path, const std::string& content);

}  // namespace sandboxctl
