#include "core/duration.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/number.hpp"

namespace sandboxctl {

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what) {
    std::string_view unit = text;
    auto number = consume_integer(unit);
    auto bad = [&] {
        return usage_error(fmt::format("invalid duration \"{}\" for {}", text, what),
                           "Use a whole number followed by ms, s, min or h, for example \"30s\".");
    };
    if (!number || *number > 1'000'000'000) throw bad();
    long long value = *number;
    if (unit == "ms") return std::chrono::milliseconds(value);
    if (unit.empty() || unit == "s") return std::chrono::seconds(value);
    if (unit == "min") return std::chrono::minutes(value);
    if (unit == "h") return std::chrono::hours(value);
    throw bad();
}

std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::time_point from,
                                                     std::chrono::milliseconds duration) {
    using Clock = std::chrono::steady_clock;
    auto room = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::time_point::max() - from);
    return duration >= room ? Clock::time_point::max() : from + duration;
}

std::chrono::milliseconds parse_server_timeout(std::string_view text, std::string_view what) {
    auto value = parse_duration(text, what);
    if (value.count() > 2147483647) {
        throw usage_error(fmt::format("duration \"{}\" for {} is longer than PostgreSQL allows", text, what),
                          "Timeouts go up to 2147483647ms (about 24 days); 0 means none.");
    }
    return value;
}

std::string format_duration(std::chrono::nanoseconds elapsed) {
    double seconds = std::chrono::duration<double>(elapsed).count();
    if (seconds < 1.0) return fmt::format("{:.0f} ms", seconds * 1000);
    if (seconds < 120.0) return fmt::format("{:.2f} s", seconds);
    return fmt::format("{} min {} s", static_cast<long>(seconds) / 60, static_cast<long>(seconds) % 60);
}

std::string format_bytes(unsigned long long bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", value, units[unit]);
}

}  // namespace sandboxctl
