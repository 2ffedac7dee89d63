#include "core/temp_dir.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.hpp"

namespace sandboxctl {

TempDir::TempDir(const std::string& prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/" + prefix + ".XXXXXX";
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
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw failure("could not create file \"" + path.string() + "\": " + std::strerror(errno));
    std::size_t written = 0;
    while (written < content.size()) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            ::close(fd);
            throw failure("could not write file \"" + path.string() + "\": " + std::strerror(saved));
        }
        written += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) throw failure("could not write file \"" + path.string() + "\": " + std::strerror(errno));
}

}  // namespace sandboxctl
