#include "sync/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/process.hpp"

namespace sandboxctl::sync {
namespace {

Error cannot_read(const Location& location, std::string_view what, const std::string& reason) {
    return failure("could not read " + std::string(what) + " \"" + location.text + "\": " + reason);
}

std::string too_large(std::size_t max_bytes) {
    return "it is larger than " + std::to_string(max_bytes) + " bytes, too large for this file";
}

// What a file of this type is, for the message refusing it.
const char* file_kind(mode_t mode) {
    if (S_ISFIFO(mode)) return "a FIFO";
    if (S_ISDIR(mode)) return "a directory";
    if (S_ISCHR(mode)) return "a character device";
    if (S_ISBLK(mode)) return "a block device";
    if (S_ISSOCK(mode)) return "a socket";
    return "a special file";
}

// A FIFO or a device would block the run until a signal, or never end; a
// directory or socket cannot be read. A usage error: the path names the wrong thing.
Error not_regular(const Location& location, std::string_view what, mode_t mode) {
    return usage_error("could not read " + std::string(what) + " \"" + location.text + "\": it is " + file_kind(mode) +
                           ", not a regular file",
                       "sandboxctl reads only regular files here; name the file itself.");
}

// The file opened for reading, once known to be a regular file. The type is
// checked on the open descriptor (no race with a rename), and the open itself
// cannot block: O_NONBLOCK returns at once on a FIFO without a writer, and
// O_NOCTTY keeps a terminal from becoming ours; on a regular file O_NONBLOCK
// changes nothing. A socket cannot be opened (ENXIO): stat names it then.
Fd open_regular(const Location& location, std::string_view what) {
    Fd fd(::open(location.path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) {
        const int open_errno = errno;
        struct stat st {};
        if (::stat(location.path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
            throw not_regular(location, what, st.st_mode);
        }
        throw cannot_read(location, what, std::strerror(open_errno));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw cannot_read(location, what, std::strerror(errno));
    if (!S_ISREG(st.st_mode)) throw not_regular(location, what, st.st_mode);
    return fd;
}

std::string read_local(const Location& location, std::size_t max_bytes, std::string_view what) {
    const Fd fd = open_regular(location, what);
    std::string content;
    char buffer[8192];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw cannot_read(location, what, std::strerror(errno));
        if (n == 0) return content;
        content.append(buffer, static_cast<std::size_t>(n));
        if (content.size() > max_bytes) throw cannot_read(location, what, too_large(max_bytes));
    }
}

// The remote side needs only a shell and cat; the path travels quoted inside
// the script, the content comes back on stdout.
std::string read_remote(const Location& location, std::size_t max_bytes, std::string_view what) {
    ProcessResult result = run_process({location.command("cat -- " + shell_quote(location.path)), {}});
    if (!result.succeeded()) {
        std::string reason = result.signal
                                 ? "the remote command was terminated by signal " + std::to_string(result.signal)
                                 : "the remote command exited with status " + std::to_string(result.exit_status);
        const auto end = result.err.find_last_not_of('\n');
        if (end != std::string::npos) {
            const auto start = result.err.rfind('\n', end);
            reason += ": " + result.err.substr(start == std::string::npos ? 0 : start + 1,
                                               end + 1 - (start == std::string::npos ? 0 : start + 1));
        }
        throw cannot_read(location, what, reason);
    }
    if (result.out.size() > max_bytes) throw cannot_read(location, what, too_large(max_bytes));
    return std::move(result.out);
}

}  // namespace

std::string read_small_file(const Location& location, std::size_t max_bytes, std::string_view what) {
    return location.is_local() ? read_local(location, max_bytes, what) : read_remote(location, max_bytes, what);
}

}  // namespace sandboxctl::sync
