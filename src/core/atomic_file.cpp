#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace sandboxctl {

void write_file_atomically(const std::filesystem::path& path, const std::string& content, const std::string& what,
                           mode_t mode) {
    auto temporary = path;
    temporary += ".tmp";
    ::unlink(temporary.c_str());
    try {
        Fd fd = open_fd(temporary, O_WRONLY | O_CREAT | O_EXCL, mode);
        if (::fchmod(fd.get(), mode) != 0) {
            throw failure("could not set the mode of " + what + " \"" + temporary.string() +
                          "\": " + std::strerror(errno));
        }
        write_all(fd.get(), content, temporary.string());
        fsync_fd(fd.get(), temporary.string());
        fd.close(temporary.string());
        if (::rename(temporary.c_str(), path.c_str()) != 0) {
            throw failure("could not rename " + what + " \"" + temporary.string() + "\" to \"" + path.string() +
                          "\": " + std::strerror(errno));
        }
    } catch (const Error&) {
        ::unlink(temporary.c_str());
        throw;
    }
    // The rename itself reaches the disk only with its directory.
    fsync_directory(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
}

}  // namespace sandboxctl
