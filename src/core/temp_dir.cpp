#include "core/temp_dir.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/process.hpp"

namespace sandboxctl {
namespace {

std::filesystem::path temp_base() {
    const char* base = std::getenv("TMPDIR");
    return base && *base ? base : "/tmp";
}

// The pid in "sandboxctl-NAME.PID.XXXXXX", or 0.
pid_t owner_pid(const std::string& name) {
    auto last = name.rfind('.');
    if (last == std::string::npos || last == 0) return 0;
    auto first = name.rfind('.', last - 1);
    if (first == std::string::npos) return 0;
    return parse_pid(std::string_view(name).substr(first + 1, last - first - 1));
}

}  // namespace

void remove_temp_dirs_of_dead_runs() {
    auto base = temp_base();
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(base, ec)) {
        auto name = entry.path().filename().string();
        if (!name.starts_with("sandboxctl-")) continue;
        pid_t pid = owner_pid(name);
        struct stat st {};
        if (pid <= 0 || ::lstat(entry.path().c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::geteuid()) {
            continue;
        }
        if (process_alive(pid)) continue;
        std::error_code ignored;
        std::filesystem::remove_all(entry.path(), ignored);
    }
}

TempDir::TempDir(const std::string& prefix) {
    auto base = temp_base();
    std::string pattern = (base / prefix).string() + "." + std::to_string(::getpid()) + ".XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (!mkdtemp(buffer.data())) {
        throw failure("could not create temporary directory \"" + pattern + "\": " + std::strerror(errno),
                      "Set TMPDIR to a writable directory.");
    }
    path_ = buffer.data();
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void write_private_file(const std::filesystem::path& path, const std::string& content) {
    Fd fd = open_fd(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    write_all(fd.get(), content, path.string());
    fd.close(path.string());
}

}  // namespace sandboxctl
