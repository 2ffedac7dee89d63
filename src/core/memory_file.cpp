#include "core/memory_file.hpp"

#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace sandboxctl {

MemoryFile::MemoryFile(const char* name, std::string_view content) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
    if (fd_ < 0) throw failure(std::string("could not create an in-memory file: ") + std::strerror(errno));
    if (::fchmod(fd_, 0600) != 0) {
        int saved = errno;
        ::close(fd_);
        throw failure(std::string("could not restrict an in-memory file: ") + std::strerror(saved));
    }
    try {
        write_all(fd_, content, std::string("in-memory file ") + name);
    } catch (const Error&) {
        ::close(fd_);
        throw;
    }
}

MemoryFile::~MemoryFile() {
    if (fd_ >= 0) ::close(fd_);
}

std::string MemoryFile::contents() const {
    std::string out;
    char buffer[8192];
    off_t offset = 0;
    for (;;) {
        ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        out.append(buffer, static_cast<std::size_t>(n));
        offset += n;
    }
    return out;
}

}  // namespace sandboxctl
