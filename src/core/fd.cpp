#include "core/fd.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace sandboxctl {
namespace {

Error io_error(const char* verb, const std::string& name, int error) {
    return failure(std::string("could not ") + verb + " \"" + name + "\": " + std::strerror(error));
}

}  // namespace

Fd::~Fd() {
    if (fd_ >= 0) ::close(fd_);
}

Fd& Fd::operator=(Fd&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

int Fd::release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
}

void Fd::close(const std::string& name) {
    int fd = release();
    // Linux closes the descriptor even when close() fails (EINTR included):
    // retrying could close a descriptor another thread just opened.
    if (fd >= 0 && ::close(fd) != 0) throw io_error("close", name, errno);
}

Fd open_fd(const std::filesystem::path& path, int flags, unsigned mode) {
    int fd = ::open(path.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
    if (fd < 0) throw io_error((flags & O_CREAT) ? "create" : "open", path.string(), errno);
    return Fd(fd);
}

void write_all(int fd, std::string_view data, const std::string& name) {
    std::size_t written = 0;
    while (written < data.size()) {
        ssize_t n = ::write(fd, data.data() + written, data.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw io_error("write", name, errno);
        if (n == 0) throw io_error("write", name, EIO);
        written += static_cast<std::size_t>(n);
    }
}

void pwrite_all(int fd, const void* data, std::size_t size, long long offset, const std::string& name) {
    const char* bytes = static_cast<const char*>(data);
    std::size_t written = 0;
    while (written < size) {
        ssize_t n =
            ::pwrite(fd, bytes + written, size - written, static_cast<off_t>(offset + static_cast<long long>(written)));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw io_error("write", name, errno);
        if (n == 0) throw io_error("write", name, EIO);
        written += static_cast<std::size_t>(n);
    }
}

void fsync_fd(int fd, const std::string& name) {
    if (::fsync(fd) != 0) throw io_error("fsync", name, errno);
}

void fsync_directory(const std::filesystem::path& directory) {
    Fd fd = open_fd(directory, O_RDONLY | O_DIRECTORY);
    fsync_fd(fd.get(), directory.string());
    fd.close(directory.string());
}

}  // namespace sandboxctl
