#include <gtest/gtest.h>

#include "core/duration.hpp"
#include "core/error.hpp"

using namespace std::chrono_literals;

TEST(Duration, ParsesUnits) {
    EXPECT_EQ(sandboxctl::parse_duration("250ms", "x"), 250ms);
    EXPECT_EQ(sandboxctl::parse_duration("30s", "x"), 30s);
    EXPECT_EQ(sandboxctl::parse_duration("30", "x"), 30s);
    EXPECT_EQ(sandboxctl::parse_duration("2min", "x"), 2min);
    EXPECT_EQ(sandboxctl::parse_duration("1h", "x"), 1h);
}

TEST(Duration, RejectsNonsense) {
    for (const char* bad : {"", "-1s", "1 s", "1d", "abc", "99999999999999999999"}) {
        EXPECT_THROW(sandboxctl::parse_duration(bad, "--lock-timeout"), sandboxctl::Error) << bad;
    }
}

// Every duration parse_duration takes is a deadline after now, never before.
TEST(Duration, DeadlinesOfTheLongestDurationsStayAhead) {
    auto now = std::chrono::steady_clock::now();
    auto longest = sandboxctl::parse_duration("1000000000h", "x");
    for (auto duration : {longest, longest / 10, longest / 7, std::chrono::milliseconds(100000000h)})
        EXPECT_GT(sandboxctl::deadline_after(now, duration), now + 1000000h) << duration.count();
    EXPECT_EQ(sandboxctl::deadline_after(now, 1500ms), now + 1500ms);
    EXPECT_EQ(sandboxctl::deadline_after(now, 0ms), now);
}

TEST(Format, BytesAndDurations) {
    EXPECT_EQ(sandboxctl::format_bytes(512), "512 B");
    EXPECT_EQ(sandboxctl::format_bytes(1536), "1.5 kB");
    EXPECT_EQ(sandboxctl::format_duration(1500ms), "1.50 s");
    EXPECT_EQ(sandboxctl::format_duration(45ms), "45 ms");
}
