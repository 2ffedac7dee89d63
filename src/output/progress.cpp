#include "output/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "core/log.hpp"

namespace sandboxctl::output {

ProgressLine::ProgressLine() : enabled_(::isatty(STDERR_FILENO) && log::level() == log::Level::normal) {}

ProgressLine::~ProgressLine() {
    if (enabled_) std::fputs("\r\033[K", stderr);
}

void ProgressLine::show(const std::function<std::string()>& render) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    std::string line = "\r\033[K" + render();
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace sandboxctl::output
