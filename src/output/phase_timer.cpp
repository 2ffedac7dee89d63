#include "output/phase_timer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

#include "core/log.hpp"

namespace sandboxctl::output {

std::chrono::nanoseconds total_time(const std::vector<Phase>& phases) {
    std::chrono::nanoseconds n{};
    for (const auto& p : phases) n += p.elapsed;
    return n;
}

// The data phase draws its own progress line (output/progress.hpp) over the
// status line; both clear the line when they end.
PhaseTimer::PhaseTimer(std::vector<Phase>& phases, std::string name)
    : phases_(phases),
      name_(std::move(name)),
      start_(std::chrono::steady_clock::now()),
      status_line_(::isatty(STDERR_FILENO) && log::level() == log::Level::normal) {
    log::detail("phase: {}", name_);
    if (status_line_) {
        std::fputs(fmt::format("\r\033[K{}...", name_).c_str(), stderr);
        std::fflush(stderr);
    }
}

PhaseTimer::~PhaseTimer() {
    if (status_line_) std::fputs("\r\033[K", stderr);
    phases_.push_back({name_, std::chrono::steady_clock::now() - start_});
}

}  // namespace sandboxctl::output
