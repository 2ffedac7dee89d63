#pragma once
#include <chrono>
#include <string>
#include <string_view>

namespace sandboxctl {

// Parses "250ms", "30s", "5min", "1h" or a bare number of seconds.
// Throws a usage error naming `what` on anything else.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view what);
// `from` + `duration` on the steady clock, or the clock's end for a duration
// that passes it (parse_duration takes up to a billion hours, past its range).
std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::time_point from,
                                                     std::chrono::milliseconds duration);
// A duration PostgreSQL takes as a timeout setting: at most 2147483647 ms
// (about 24 days), the largest its integer settings hold.
std::chrono::milliseconds parse_server_timeout(std::string_view text, std::string_view what);

// "1.23 s", "45 ms", "2 min 3 s": for reports.
std::string format_duration(std::chrono::nanoseconds elapsed);
// "12.3 MB", "512 B": for reports.
std::string format_bytes(unsigned long long bytes);

}  // namespace sandboxctl
