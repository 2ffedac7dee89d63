#include "sync/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>
#include <string>

#include "core/duration.hpp"
#include "core/log.hpp"

namespace sandboxctl::sync {

TransferProgress::TransferProgress(std::size_t entries, long long bytes)
    : enabled_(::isatty(STDERR_FILENO) && log::level() == log::Level::normal), entries_(entries), bytes_(bytes) {}

TransferProgress::~TransferProgress() {
    if (enabled_) std::fputs("\r\033[K", stderr);
}

void TransferProgress::update(std::size_t done, long long bytes_done) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_ < std::chrono::milliseconds(200)) return;
    last_ = now;
    std::string line = fmt::format("\r\033[Ksyncing {}/{} entries, {} of {}", done, entries_,
                                   format_bytes(static_cast<unsigned long long>(bytes_done)),
                                   format_bytes(static_cast<unsigned long long>(bytes_)));
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace sandboxctl::sync
