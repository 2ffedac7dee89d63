#include "sync/read_file.hpp"

#include <fcntl.h>
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

std::string read_local(const Location& location, std::size_t max_bytes, std::string_view what) {
    const Fd fd(::open(location.path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw cannot_read(location, what, std::strerror(errno));
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
