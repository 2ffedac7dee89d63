#pragma once
// An SMTP server that delivers nothing: it speaks enough SMTP for Dolibarr's
// SMTPs class (EHLO/HELO, AUTH LOGIN/PLAIN accepted, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT) and records every RCPT TO address and each message accepted.
// The test reads what a real mail server would have sent on.
#include <mutex>
#include <string>
#include <vector>

#include "harness/loopback_server.hpp"

namespace sandboxctl::test {

class SmtpSink {
public:
    SmtpSink();
    int port() const { return server_.port(); }
    // Every recipient address seen since the last clear(), in order.
    std::vector<std::string> recipients() const;
    int messages() const;
    void clear();

private:
    void serve(Connection& connection);
    void record_recipient(const std::string& address);
    void record_message();

    mutable std::mutex mutex_;
    std::vector<std::string> recipients_;
    int messages_ = 0;
    LoopbackServer server_;  // last: its thread stops before the records go
};

}  // namespace sandboxctl::test
