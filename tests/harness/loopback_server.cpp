#include "harness/loopback_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>

namespace sandboxctl::test {
namespace {

// Long enough for a slow PHP request, short enough that a stuck peer cannot
// hold the test.
constexpr int read_timeout_ms = 10000;
constexpr int accept_poll_ms = 100;

}  // namespace

bool Connection::fill() {
    pollfd ready{fd_.get(), POLLIN, 0};
    if (::poll(&ready, 1, read_timeout_ms) <= 0) return false;
    char chunk[4096];
    ssize_t got = ::read(fd_.get(), chunk, sizeof chunk);
    if (got <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(got));
    return true;
}

bool Connection::read_line(std::string& line) {
    for (;;) {
        auto end = buffer_.find('\n');
        if (end != std::string::npos) {
            line = buffer_.substr(0, end);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            buffer_.erase(0, end + 1);
            return true;
        }
        if (!fill()) return false;
    }
}

bool Connection::read_bytes(std::size_t count, std::string& bytes) {
    while (buffer_.size() < count) {
        if (!fill()) return false;
    }
    bytes = buffer_.substr(0, count);
    buffer_.erase(0, count);
    return true;
}

void Connection::write(const std::string& text) {
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t wrote = ::send(fd_.get(), text.data() + done, text.size() - done, MSG_NOSIGNAL);
        if (wrote <= 0) return;  // the peer left; what it missed does not matter here
        done += static_cast<std::size_t>(wrote);
    }
}

LoopbackServer::LoopbackServer(std::function<void(Connection&)> serve) : serve_(std::move(serve)) {
    listener_ = Fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (!listener_ || ::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_.get(), 16) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("could not listen on a loopback port");
    }
    port_ = ntohs(address.sin_port);
    thread_ = std::thread([this] { run(); });
}

LoopbackServer::~LoopbackServer() {
    stopping_ = true;
    thread_.join();
}

void LoopbackServer::run() {
    while (!stopping_) {
        pollfd ready{listener_.get(), POLLIN, 0};
        if (::poll(&ready, 1, accept_poll_ms) <= 0) continue;
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0) continue;
        Connection connection(fd);
        serve_(connection);
    }
}

}  // namespace sandboxctl::test
