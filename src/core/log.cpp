#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <string>

#include "core/secrets.hpp"

namespace sandboxctl::log {
namespace {

std::atomic<Level> current{Level::normal};
std::mutex output;

}  // namespace

void set_level(Level l) { current = l; }
Level level() { return current; }

void write(Level minimum, std::string_view prefix, std::string_view message) {
    if (current.load() < minimum) return;
    std::string line = secrets::redact(fmt::format("{}{}\n", prefix, message));
    std::lock_guard lock(output);
    std::fputs(line.c_str(), stderr);
}

void sql(std::string_view label, std::string_view statement) {
    if (current.load() < Level::verbose) return;
    constexpr std::size_t shown = 2000;
    if (statement.size() > shown) {
        write(Level::verbose, "",
              fmt::format("[{}] {} ... ({} bytes)", label, statement.substr(0, shown), statement.size()));
    } else {
        write(Level::verbose, "", fmt::format("[{}] {}", label, statement));
    }
}

}  // namespace sandboxctl::log
