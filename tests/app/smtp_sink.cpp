#include "app/smtp_sink.hpp"

#include <algorithm>
#include <cctype>

namespace sandboxctl::test {
namespace {

std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::toupper(c); });
    return text;
}

// "RCPT TO:<a@b>" or "RCPT TO: a@b" -> "a@b".
std::string address_of(const std::string& line) {
    auto colon = line.find(':');
    std::string address = colon == std::string::npos ? "" : line.substr(colon + 1);
    address.erase(
        std::remove_if(address.begin(), address.end(), [](char c) { return c == '<' || c == '>' || c == ' '; }),
        address.end());
    auto parameters = address.find_first_of(" \t");
    return address.substr(0, parameters);
}

// Reads the message up to the lone "." line.
bool read_message(Connection& connection) {
    std::string line;
    while (connection.read_line(line)) {
        if (line == ".") return true;
    }
    return false;
}

}  // namespace

SmtpSink::SmtpSink() : server_([this](Connection& connection) { serve(connection); }) {}

std::vector<std::string> SmtpSink::recipients() const {
    std::lock_guard lock(mutex_);
    return recipients_;
}

int SmtpSink::messages() const {
    std::lock_guard lock(mutex_);
    return messages_;
}

void SmtpSink::clear() {
    std::lock_guard lock(mutex_);
    recipients_.clear();
    messages_ = 0;
}

void SmtpSink::record_recipient(const std::string& address) {
    std::lock_guard lock(mutex_);
    recipients_.push_back(address);
}

void SmtpSink::record_message() {
    std::lock_guard lock(mutex_);
    ++messages_;
}

void SmtpSink::serve(Connection& connection) {
    connection.write("220 sink.test ESMTP\r\n");
    std::string line;
    while (connection.read_line(line)) {
        std::string verb = upper(line.substr(0, line.find(' ')));
        if (verb == "EHLO") {
            connection.write("250-sink.test\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n");
        } else if (verb == "AUTH") {
            std::string mechanism = upper(line.size() > 5 ? line.substr(5) : "");
            if (mechanism == "LOGIN") {
                std::string answer;
                connection.write("334 VXNlcm5hbWU6\r\n");  // "Username:"
                if (!connection.read_line(answer)) return;
                connection.write("334 UGFzc3dvcmQ6\r\n");  // "Password:"
                if (!connection.read_line(answer)) return;
            } else if (mechanism == "PLAIN") {
                std::string answer;
                connection.write("334 \r\n");
                if (!connection.read_line(answer)) return;
            }
            connection.write("235 2.7.0 accepted\r\n");
        } else if (verb == "RCPT") {
            record_recipient(address_of(line));
            connection.write("250 OK\r\n");
        } else if (verb == "DATA") {
            connection.write("354 end with .\r\n");
            if (!read_message(connection)) return;
            record_message();
            connection.write("250 OK queued nowhere\r\n");
        } else if (verb == "QUIT") {
            connection.write("221 bye\r\n");
            return;
        } else if (verb == "STARTTLS") {
            connection.write("454 TLS not available\r\n");
        } else {
            connection.write("250 OK\r\n");  // HELO, MAIL, RSET, NOOP and the rest
        }
    }
}

}  // namespace sandboxctl::test
