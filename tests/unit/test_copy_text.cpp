#include <gtest/gtest.h>

#include "core/error.hpp"
#include "pg/copy_text.hpp"

namespace sandboxctl::pg {
namespace {

std::vector<CopyRow> decode(std::string_view text, std::size_t chunk = 0) {
    std::vector<CopyRow> rows;
    CopyTextDecoder decoder([&](const CopyRow& row) { rows.push_back(row); });
    if (chunk == 0) {
        decoder.feed(text);
    } else {
        for (std::size_t at = 0; at < text.size(); at += chunk) decoder.feed(text.substr(at, chunk));
    }
    decoder.finish();
    return rows;
}

CopyRow row(std::initializer_list<CopyField> fields) { return CopyRow(fields); }

TEST(CopyText, FieldsRowsAndNulls) {
    auto rows = decode("1\tplain\t\\N\n2\t\t\\\\N\n");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], row({"1", "plain", std::nullopt}));
    EXPECT_EQ(rows[1], row({"2", "", "\\N"}));
}

TEST(CopyText, Escapes) {
    auto rows = decode("a\\tb\\nc\\\\d\\re\\bf\\fg\\vh\tq\\\"x\t\\Nx\n");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], row({"a\tb\nc\\d\re\bf\fg\vh", "q\"x", "Nx"}));
}

TEST(CopyText, OctalAndHexBytes) {
    auto rows = decode("\\101\\0610\\7z\t\\x41\\x4a2\\xg\t\\x7\n");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], row({"A10\az", "AJ2xg", "\x07"}));
}

TEST(CopyText, ChunkBoundariesDoNotMatter) {
    std::string text = "1\t\\N\t\\x41\\101\tr\\n\\\\\n\\N\t\t\\t\n\n";
    auto whole = decode(text);
    for (std::size_t chunk = 1; chunk < text.size(); ++chunk) EXPECT_EQ(decode(text, chunk), whole) << chunk;
    EXPECT_EQ(whole.size(), 3u);
    EXPECT_EQ(whole[2], row({""}));  // an empty line: one empty field (or a row of no columns)
}

TEST(CopyText, RejectsTruncatedAndMalformedData) {
    EXPECT_THROW(decode("1\t2"), Error);      // no final newline
    EXPECT_THROW(decode("1\t2\\"), Error);    // ends inside an escape
    EXPECT_THROW(decode("a\\\nb\n"), Error);  // backslash before the newline
    EXPECT_THROW(decode("a\rb\n"), Error);    // raw carriage return
    try {
        decode("ok\n1\t2\\");
        FAIL();
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("row 2, field 2"), std::string::npos) << e.what();
    }
    EXPECT_EQ(decode("").size(), 0u);
}

}  // namespace
}  // namespace sandboxctl::pg
