#include "app/http_listener.hpp"

#include <algorithm>
#include <cctype>

namespace sandboxctl::test {
namespace {

std::size_t content_length(const std::string& header_line) {
    std::string lower = header_line;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    const std::string name = "content-length:";
    if (lower.rfind(name, 0) != 0) return 0;
    try {
        return std::stoul(lower.substr(name.size()));
    } catch (const std::exception&) {
        return 0;
    }
}

}  // namespace

HttpListener::HttpListener() : server_([this](Connection& connection) { serve(connection); }) {}

std::string HttpListener::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
}

std::vector<std::string> HttpListener::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

void HttpListener::clear() {
    std::lock_guard lock(mutex_);
    requests_.clear();
}

void HttpListener::serve(Connection& connection) {
    std::string request_line;
    if (!connection.read_line(request_line)) return;
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(request_line.substr(0, request_line.rfind(' ')));
    }
    std::size_t body = 0;
    std::string header;
    while (connection.read_line(header) && !header.empty()) body = std::max(body, content_length(header));
    std::string ignored;
    connection.read_bytes(body, ignored);
    connection.write("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
}

}  // namespace sandboxctl::test
