#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace sandboxctl {

void write_file_atomically(const std::filesystem::path& path, const std::string& content, const std::string& what) {
    auto temporary = path;
    temporary += ".tmp";
    auto fail = [&](const char* action) {
        int saved = errno;
        ::unlink(temporary.c_str());
        return failure(std::string("could not ") + action + " " + what + " \"" + path.string() +
                       "\": " + std::strerror(saved));
    };
    int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw fail("create");
    for (std::size_t written = 0; written < content.size();) {
        ssize_t n = ::write(fd, content.data() + written, content.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            throw fail("write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) throw fail("write");
    if (::rename(temporary.c_str(), path.c_str()) != 0) throw fail("rename");
}

}  // namespace sandboxctl
