// SQL built from safe pieces (pg/sql.hpp, issue 20): names and values quoted
// as PostgreSQL reads them back, code text composed without a string from
// the run (tests/unit/compile_fail proves that one does not compile).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "pg/sql.hpp"

namespace sql = sandboxctl::sql;

namespace {

std::string text_of(const auto& piece) { return std::string(piece.text()); }

// Each raw text quoted as a `Piece` gives its expected SQL.
template <typename Piece>
void expect_quoted(const std::vector<std::pair<std::string, std::string>>& cases) {
    for (const auto& [raw, quoted] : cases) EXPECT_EQ(text_of(Piece(raw)), quoted) << raw;
}

// Quoting `raw` as a `Piece` throws `message`.
template <typename Piece>
void expect_refused(std::string_view raw, const char* message) {
    try {
        Piece quoted(raw);
        ADD_FAILURE() << "quoted as " << text_of(quoted);
    } catch (const sandboxctl::Error& e) {
        EXPECT_STREQ(e.what(), message);
    }
}

}  // namespace

TEST(SqlPieces, IdentifiersAreAlwaysDoubleQuoted) {
    // Neither a single quote nor a backslash means anything inside "...".
    expect_quoted<sql::Identifier>({{"llx_const", "\"llx_const\""},
                                    {"MixedCase", "\"MixedCase\""},
                                    {"with space", "\"with space\""},
                                    {"we\"ird Name", "\"we\"\"ird Name\""},
                                    {"\"", "\"\"\"\""},
                                    {"tâble_€", "\"tâble_€\""},
                                    {"it's\\", "\"it's\\\""}});
    EXPECT_EQ(text_of(sql::QualifiedName("my schema", "we\"ird")), "\"my schema\".\"we\"\"ird\"");
}

TEST(SqlPieces, AnEmptyNameOrANulByteIsRefused) {
    expect_refused<sql::Identifier>("", "could not quote identifier: it is empty");
    expect_refused<sql::Identifier>(std::string_view("a\0b", 3), "could not quote identifier: it holds a NUL byte");
    EXPECT_THROW(sql::QualifiedName("", "t"), sandboxctl::Error);
}

TEST(SqlPieces, LiteralsAreQuotedAsPQescapeLiteralDoes) {
    // A backslash makes it an escape string, read alike whatever
    // standard_conforming_strings says.
    expect_quoted<sql::Literal>({{"", "''"},
                                 {"plain", "'plain'"},
                                 {"it's", "'it''s'"},
                                 {"'; DROP TABLE t; --", "'''; DROP TABLE t; --'"},
                                 {"Zürich ✓", "'Zürich ✓'"},
                                 {"a\\b", " E'a\\\\b'"},
                                 {"\\'", " E'\\\\'''"}});
}

TEST(SqlPieces, ALiteralWithANulByteIsRefusedWithoutShowingIt) {
    expect_refused<sql::Literal>(std::string_view("secret\0", 7), "could not quote literal: it holds a NUL byte");
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
