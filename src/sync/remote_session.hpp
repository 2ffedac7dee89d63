#pragma once
// One remote shell session per sync from a remote source: it prints the
// listing, then reads the NUL-separated paths to send on its stdin and
// streams them as a tar archive. One session means one handshake (ssh,
// kubectl) for listing and transfer, as rsync does.
#include <archive.h>

#include <string>
#include <thread>
#include <vector>

#include "core/process.hpp"
#include "sync/tree.hpp"

namespace sandboxctl::sync {

class RemoteSession {
public:
    explicit RemoteSession(const Location& source);
    ~RemoteSession();
    RemoteSession(const RemoteSession&) = delete;
    RemoteSession& operator=(const RemoteSession&) = delete;

    // Reads the listing the session prints first.
    Tree listing();
    // Sends the paths to archive (from a thread: tar may write before it has
    // read the whole list) and opens `in` on the archive that follows.
    void request(const std::vector<std::string>& paths, archive* in);
    // Waits for the session; a failure names the location.
    void finish();

private:
    static la_ssize_t read_block(archive*, void* self, const void** buffer);

    const Location& source_;
    StreamingChild child_;
    std::string pending_;  // bytes read past the end of the listing
    std::vector<char> buffer_;
    std::thread writer_;
};

}  // namespace sandboxctl::sync
