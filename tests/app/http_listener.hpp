#pragma once
// An HTTP server that records every request line it receives and answers
// 200: where a webhook pointing at a partner would land.
#include <mutex>
#include <string>
#include <vector>

#include "harness/loopback_server.hpp"

namespace sandboxctl::test {

class HttpListener {
public:
    HttpListener();
    int port() const { return server_.port(); }
    std::string url(const std::string& path) const;
    // "POST /hook" for each request since the last clear().
    std::vector<std::string> requests() const;
    void clear();

private:
    void serve(Connection& connection);

    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    LoopbackServer server_;  // last: its thread stops before the records go
};

}  // namespace sandboxctl::test
