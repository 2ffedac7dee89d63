#include "sync/remote_session.hpp"

#include <unistd.h>

#include <cerrno>

#include "core/error.hpp"
#include "core/fd.hpp"

namespace sandboxctl::sync {
namespace {

constexpr std::string_view end_of_listing = "SANDBOXCTL-END-OF-LISTING";
// Matches the 1 MB pipe StreamingChild asks for.
constexpr std::size_t read_size = 1 << 20;

std::string session_script(const std::string& root) {
    return "cd -- " + shell_quote(root) + " || exit 1\n" + std::string(find_listing) +
           " || exit 1\n"
           "printf '" +
           std::string(end_of_listing) +
           "\\0'\n"
           "exec tar cf - --null --no-recursion --hard-dereference -T -\n";
}

}  // namespace

RemoteSession::RemoteSession(const Location& source)
    : source_(source),
      child_({source.command(session_script(source.path)), {}}, "", StreamingChild::Stream::duplex),
      buffer_(read_size) {}

RemoteSession::~RemoteSession() {
    child_.close_stdin();
    if (writer_.joinable()) writer_.join();
}

Tree RemoteSession::listing() {
    std::vector<std::string> fields;
    std::string partial;
    for (;;) {
        ssize_t n = ::read(child_.stdout_fd(), buffer_.data(), buffer_.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            child_.finish();  // throws with the remote's message
            throw failure("could not list " + source_.text + ": the session ended before the listing did");
        }
        std::size_t start = 0;
        for (std::size_t i = 0; i < static_cast<std::size_t>(n); ++i) {
            if (buffer_[i] != '\0') continue;
            partial.append(buffer_.data() + start, i - start);
            start = i + 1;
            if (fields.size() % 6 == 0 && partial == end_of_listing) {
                pending_.assign(buffer_.data() + start, static_cast<std::size_t>(n) - start);
                return parse_listing(fields, source_);
            }
            fields.push_back(std::move(partial));
            partial.clear();
        }
        partial.append(buffer_.data() + start, static_cast<std::size_t>(n) - start);
    }
}

void RemoteSession::request(const std::vector<std::string>& paths, archive* in) {
    std::string list;
    for (const auto& p : paths) list += p + '\0';
    writer_ = std::thread([this, list = std::move(list)] {
        try {
            write_all(child_.stdin_fd(), list, "the path list for " + source_.text);
        } catch (const Error&) {
            // The session died; the reader reports it with the remote's message.
        }
        child_.close_stdin();
    });
    if (archive_read_open(in, this, nullptr, read_block, nullptr) != ARCHIVE_OK) {
        throw failure("could not read the archive from " + source_.text + ": " + archive_error_string(in));
    }
}

la_ssize_t RemoteSession::read_block(archive*, void* self, const void** buffer) {
    auto* session = static_cast<RemoteSession*>(self);
    if (!session->pending_.empty()) {
        session->buffer_.assign(session->pending_.begin(), session->pending_.end());
        session->buffer_.resize(std::max<std::size_t>(session->buffer_.size(), read_size));
        std::size_t size = session->pending_.size();
        session->pending_.clear();
        *buffer = session->buffer_.data();
        return static_cast<la_ssize_t>(size);
    }
    for (;;) {
        ssize_t n = ::read(session->child_.stdout_fd(), session->buffer_.data(), session->buffer_.size());
        if (n < 0 && errno == EINTR) continue;
        *buffer = session->buffer_.data();
        return n < 0 ? -1 : n;
    }
}

void RemoteSession::finish() {
    if (writer_.joinable()) writer_.join();
    child_.finish();
}

}  // namespace sandboxctl::sync
