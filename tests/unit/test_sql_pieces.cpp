// SQL built from safe pieces (pg/sql.hpp, issue 20): names and values quoted
// as PostgreSQL reads them back, code text composed without a string from
// the run (tests/unit/compile_fail proves that one does not compile).
#include <gtest/gtest.h>

#include <cstdint>

#include "core/error.hpp"
#include "pg/sql.hpp"

namespace sql = sandboxctl::sql;

namespace {

std::string text_of(const auto& piece) { return std::string(piece.text()); }

}  // namespace

TEST(SqlPieces, IdentifiersAreAlwaysDoubleQuoted) {
    EXPECT_EQ(text_of(sql::Identifier("llx_const")), "\"llx_const\"");
    EXPECT_EQ(text_of(sql::Identifier("MixedCase")), "\"MixedCase\"");
    EXPECT_EQ(text_of(sql::Identifier("with space")), "\"with space\"");
    EXPECT_EQ(text_of(sql::Identifier("we\"ird Name")), "\"we\"\"ird Name\"");
    EXPECT_EQ(text_of(sql::Identifier("\"")), "\"\"\"\"");
    EXPECT_EQ(text_of(sql::Identifier("tâble_€")), "\"tâble_€\"");
    // Neither a single quote nor a backslash means anything inside "...".
    EXPECT_EQ(text_of(sql::Identifier("it's\\")), "\"it's\\\"");
    EXPECT_EQ(text_of(sql::QualifiedName("my schema", "we\"ird")), "\"my schema\".\"we\"\"ird\"");
}

TEST(SqlPieces, AnEmptyNameOrANulByteIsRefused) {
    EXPECT_THROW(sql::Identifier(""), sandboxctl::Error);
    EXPECT_THROW(sql::QualifiedName("", "t"), sandboxctl::Error);
    try {
        sql::Identifier(std::string_view("a\0b", 3));
        FAIL() << "a NUL byte was quoted";
    } catch (const sandboxctl::Error& e) {
        EXPECT_STREQ(e.what(), "could not quote identifier: it holds a NUL byte");
    }
}

TEST(SqlPieces, LiteralsAreQuotedAsPQescapeLiteralDoes) {
    EXPECT_EQ(text_of(sql::Literal("")), "''");
    EXPECT_EQ(text_of(sql::Literal("plain")), "'plain'");
    EXPECT_EQ(text_of(sql::Literal("it's")), "'it''s'");
    EXPECT_EQ(text_of(sql::Literal("'; DROP TABLE t; --")), "'''; DROP TABLE t; --'");
    EXPECT_EQ(text_of(sql::Literal("Zürich ✓")), "'Zürich ✓'");
    // A backslash makes it an escape string, read alike whatever
    // standard_conforming_strings says.
    EXPECT_EQ(text_of(sql::Literal("a\\b")), " E'a\\\\b'");
    EXPECT_EQ(text_of(sql::Literal("\\'")), " E'\\\\'''");
}

TEST(SqlPieces, ALiteralWithANulByteIsRefusedWithoutShowingIt) {
    try {
        sql::Literal(std::string_view("secret\0", 7));
        FAIL() << "a NUL byte was quoted";
    } catch (const sandboxctl::Error& e) {
        EXPECT_STREQ(e.what(), "could not quote literal: it holds a NUL byte");
    }
}

TEST(SqlPieces, FormatComposesPiecesIntoAFragment) {
    sql::Fragment condition = "status = 0";
    EXPECT_EQ(text_of(condition), "status = 0");
    auto update = sql::format("UPDATE {} SET value = {} WHERE {} AND entity IN ({}, {})",
                              sql::QualifiedName("public", "llx_const"), sql::Literal("it's"), condition, 0, 1LL);
    EXPECT_EQ(text_of(update),
              "UPDATE \"public\".\"llx_const\" SET value = 'it''s' WHERE status = 0 AND entity IN (0, 1)");
    // A fragment built by format composes again, and a copy keeps its text.
    auto copy = update;
    EXPECT_EQ(text_of(sql::format("WITH changed AS ({} RETURNING 1) SELECT count(*) FROM changed", copy)),
              "WITH changed AS (" + text_of(update) + " RETURNING 1) SELECT count(*) FROM changed");
    EXPECT_EQ(text_of(sql::format("LIMIT {}", std::uint64_t{18446744073709551615U})), "LIMIT 18446744073709551615");
    EXPECT_EQ(text_of(sql::format("OFFSET {}", short{-3})), "OFFSET -3");
}

TEST(SqlPieces, JoinPutsTheSeparatorBetweenPieces) {
    std::vector<sql::Identifier> columns{sql::Identifier("id"), sql::Identifier("Name")};
    EXPECT_EQ(text_of(sql::join(columns, ", ")), "\"id\", \"Name\"");
    std::vector<sql::Fragment> conditions{"a = 1", sql::format("{} IS NULL", sql::Identifier("b"))};
    EXPECT_EQ(text_of(sql::join(conditions, " OR ")), "a = 1 OR \"b\" IS NULL");
    EXPECT_EQ(text_of(sql::join(std::vector<sql::Literal>{}, ", ")), "");
}

TEST(SqlPieces, UserSqlIsTakenAsWritten) {
    auto where = sql::Fragment::user_sql("name LIKE 'A%' -- a comment");
    EXPECT_EQ(text_of(sql::format("SELECT count(*) FROM t WHERE (\n{}\n)", where)),
              "SELECT count(*) FROM t WHERE (\nname LIKE 'A%' -- a comment\n)");
}
