#include "core/interrupt.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include "core/error.hpp"
#include "core/failpoint.hpp"

namespace sandboxctl::interrupt {
namespace {

std::atomic<int> received{0};
std::atomic<int> count{0};
int taken = 0;  // signals wait_and_take took as requests
std::atomic<void (*)()> hook{nullptr};

extern "C" void on_signal(int number) {
    received.store(number);
    count.fetch_add(1);
    if (auto h = hook.load()) h();
}

}  // namespace

void install_handlers() {
    struct sigaction action {};
    action.sa_handler = on_signal;
    sigemptyset(&action.sa_mask);
    for (int number : {SIGINT, SIGTERM, SIGHUP}) sigaction(number, &action, nullptr);
    // A closed pipe to a child must surface as an error, not kill us.
    std::signal(SIGPIPE, SIG_IGN);
    // Likewise a file-size limit: the write fails with EFBIG and is reported.
    std::signal(SIGXFSZ, SIG_IGN);
}

bool requested() { return received.load() != 0; }
int signal_count() { return count.load(); }

std::string signal_name(int number) {
    const char* abbreviation = sigabbrev_np(number);
    return abbreviation ? fmt::format("signal {} (SIG{})", number, abbreviation) : fmt::format("signal {}", number);
}

std::string describe() { return "interrupted by " + signal_name(received.load()); }

void throw_if_requested() {
    if (received.load() != 0) throw failure(describe());
}

int wait_and_take(std::chrono::steady_clock::time_point until) {
    using Clock = std::chrono::steady_clock;
    while (received.load() == 0) {
        auto now = Clock::now();
        if (now >= until) return 0;
        std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(100), until - now));
    }
    int number = received.exchange(0);
    // Two signals between two looks: the second stays, for the work that follows.
    if (count.load() > ++taken) received.store(number);
    return number;
}

void phase_boundary(std::string_view phase) {
    failpoint::reach(phase);
    throw_if_requested();
}

void set_signal_hook(void (*h)()) { hook.store(h); }

}  // namespace sandboxctl::interrupt
