// The write-counts record a reset leaves for the next one: what it saves
// comes back as it was, and a record it cannot read is no record (the next
// reset reads the catalogs) rather than an error.
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "core/temp_dir.hpp"
#include "snapshot/write_counts.hpp"

namespace sandboxctl {
namespace {

TEST(WriteCounts, ASavedRecordComesBackAsItWas) {
    TempDir dir("write-counts-test");
    auto path = dir.path() / "write-counts" / "1-2.json";
    snapshot::WriteCounts counts{"golden at 2026-12-06 02:00:00+00",
                                 "1:2:3/4:5:6",
                                 {{"\"public\".\"a_seq\"", {16400, 7}}, {"\"billing\".\"Odd \"\"seq\"", {16401, 0}}}};
    snapshot::save_write_counts(path, counts);
    auto back = snapshot::load_write_counts(path);
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(back->baseline, counts.baseline);
    EXPECT_EQ(back->catalogs, counts.catalogs);
    ASSERT_EQ(back->sequences.size(), 2U);
    EXPECT_EQ(back->sequences.at("\"billing\".\"Odd \"\"seq\"").oid, 16401U);
    EXPECT_EQ(back->sequences.at("\"public\".\"a_seq\"").blocks, 7);
}

TEST(WriteCounts, AnUnreadableRecordIsNoRecord) {
    TempDir dir("write-counts-test");
    EXPECT_FALSE(snapshot::load_write_counts(dir.path() / "missing.json").has_value());
    for (const char* content : {"", "{", "[]", R"({"baseline": "b", "catalogs": 3, "sequences": []})",
                                R"({"baseline": "b", "catalogs": "c", "sequences": [{"name": "s", "oid": 1}]})"}) {
        auto path = dir.path() / "damaged.json";
        std::ofstream(path) << content;
        EXPECT_FALSE(snapshot::load_write_counts(path).has_value()) << content;
    }
    EXPECT_FALSE(snapshot::load_write_counts(dir.path()).has_value());  // a directory
    auto fifo = dir.path() / "fifo.json";
    ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
    EXPECT_FALSE(snapshot::load_write_counts(fifo).has_value());  // returns, does not block
}

}  // namespace
}  // namespace sandboxctl
