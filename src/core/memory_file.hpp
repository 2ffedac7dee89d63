#pragma once
// A file that lives only in memory (memfd_create): a private passfile for a
// child process, or a child's captured stderr. It has no name on any disk, so
// nothing is left behind even when the process is killed with SIGKILL; it
// disappears when the last descriptor is closed.
#include <string>
#include <string_view>

namespace sandboxctl {

class MemoryFile {
public:
    // Mode 0600, close-on-exec: a child sees it only through
    // ProcessSpec::inherited_fds.
    explicit MemoryFile(const char* name, std::string_view content = {});
    ~MemoryFile();
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    int fd() const { return fd_; }
    // A path a child that inherited the descriptor can open (libpq's
    // PGPASSFILE needs a path; it checks the file is regular and 0600).
    std::string path_in_child() const { return "/proc/self/fd/" + std::to_string(fd_); }
    // Everything written to the file so far.
    std::string contents() const;

private:
    int fd_ = -1;
};

}  // namespace sandboxctl
