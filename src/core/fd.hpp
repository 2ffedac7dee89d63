#pragma once
// One toolkit for raw file descriptors, so that every writer treats short
// writes, EINTR and failed closes alike: an owning descriptor, a write that
// writes everything or throws, and the fsyncs that make a rename durable.
// Errors name the file with the `name` given ("could not write \"NAME\": ...").
#include <filesystem>
#include <string>
#include <string_view>

namespace sandboxctl {

// Owns one descriptor: move-only, closed by the destructor (errors ignored
// there, as a destructor cannot report them); close() reports them.
class Fd {
public:
    Fd() = default;
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd();
    Fd(Fd&& other) noexcept : fd_(other.release()) {}
    Fd& operator=(Fd&& other) noexcept;
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;

    int get() const { return fd_; }
    bool valid() const { return fd_ >= 0; }
    explicit operator bool() const { return valid(); }
    // Gives up ownership without closing.
    int release();
    // Closes now; throws a failure naming `name` if close() fails (on NFS a
    // failed write may show only here).
    void close(const std::string& name);

private:
    int fd_ = -1;
};

// open(2) that throws "could not open NAME" on failure; O_CLOEXEC is added.
Fd open_fd(const std::filesystem::path& path, int flags, unsigned mode = 0);

// Writes all of `data`: retries after EINTR and short writes; a write that
// makes no progress (returns 0) is an error, not a reason to spin.
void write_all(int fd, std::string_view data, const std::string& name);
// The same at `offset`, with pwrite(2).
void pwrite_all(int fd, const void* data, std::size_t size, long long offset, const std::string& name);

// Flushes a file's data to disk.
void fsync_fd(int fd, const std::string& name);
// Flushes a directory, so that a rename or a new entry in it survives a crash.
void fsync_directory(const std::filesystem::path& directory);

}  // namespace sandboxctl
