#pragma once
// A TCP server on a free 127.0.0.1 port, served by one thread: it accepts one
// connection at a time and hands it to `serve`. The destructor stops the
// thread and closes the socket, so a failing test leaves nothing listening.
#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "core/fd.hpp"

namespace sandboxctl::test {

// One accepted connection: line and byte reads with a timeout, and writes.
class Connection {
public:
    explicit Connection(int fd) : fd_(fd) {}
    // The next line without its CRLF; false when the peer closed or went quiet.
    bool read_line(std::string& line);
    // Exactly `count` more bytes (after what read_line buffered).
    bool read_bytes(std::size_t count, std::string& bytes);
    void write(const std::string& text);

private:
    bool fill();
    Fd fd_;
    std::string buffer_;
};

class LoopbackServer {
public:
    explicit LoopbackServer(std::function<void(Connection&)> serve);
    ~LoopbackServer();
    LoopbackServer(const LoopbackServer&) = delete;
    LoopbackServer& operator=(const LoopbackServer&) = delete;

    int port() const { return port_; }

private:
    void run();

    std::function<void(Connection&)> serve_;
    Fd listener_;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace sandboxctl::test
