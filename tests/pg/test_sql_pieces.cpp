// SQL built from safe pieces (pg/sql.hpp, issue 20) read back by a real
// server: a hostile name and values with quotes, backslashes and unicode come
// back as they were, with standard_conforming_strings on and off.
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"
#include "pg/sql.hpp"

namespace sandboxctl::test {
namespace {

const std::string hostile_table = "we\"ird Name";
const std::string hostile_column = "Välue \"x\" 'y'";
const std::vector<std::string> hostile_values = {"it's", "back\\slash", "\\'", "'\\",       "Zürich ✓ 日本",
                                                 "E'x'", "$$ $a$",      "",    "\\\\'' --", "\t\n"};

class SqlPieces : public PgTest {
protected:
    pg::Connection open_postgres() {
        return pg::Connection::open(pg::ConnInfo::parse(cluster().admin_conninfo("postgres"), "test"), "test");
    }

    // The hostile table, created and filled with the pieces in a
    // transaction the caller rolls back.
    void create_hostile_table(pg::Connection& conn, const sql::QualifiedName& table) {
        conn.exec(sql::format("CREATE TABLE {} (id int, {} text)", table, sql::Identifier(hostile_column)));
        for (std::size_t i = 0; i < hostile_values.size(); ++i) {
            conn.exec(sql::format("INSERT INTO {} VALUES ({}, {})", table, i, sql::Literal(hostile_values[i])));
        }
    }
};

TEST_F(SqlPieces, NamesAndValuesReadBackAsTheyWereWithEitherStringSetting) {
    auto conn = open_postgres();
    for (bool conforming : {true, false}) {
        SCOPED_TRACE(conforming ? "standard_conforming_strings on" : "standard_conforming_strings off");
        conn.exec("BEGIN");
        conn.exec(conforming ? sql::Fragment("SET LOCAL standard_conforming_strings = on")
                             : sql::Fragment("SET LOCAL standard_conforming_strings = off"));
        EXPECT_EQ(conn.query_value("SHOW standard_conforming_strings"), conforming ? "on" : "off");
        sql::QualifiedName table("pg_temp", hostile_table);
        create_hostile_table(conn, table);
        EXPECT_EQ(conn.query_value("SELECT relname FROM pg_catalog.pg_class WHERE oid = pg_catalog.to_regclass($1)",
                                   {std::string(table.text())}),
                  hostile_table);
        EXPECT_EQ(conn.query_value("SELECT attname FROM pg_catalog.pg_attribute WHERE attrelid = "
                                   "pg_catalog.to_regclass($1) AND attnum = 2",
                                   {std::string(table.text())}),
                  hostile_column);
        auto rows = conn.exec(sql::format("SELECT {} FROM {} ORDER BY id", sql::Identifier(hostile_column), table));
        ASSERT_EQ(rows.rows(), static_cast<int>(hostile_values.size()));
        for (std::size_t i = 0; i < hostile_values.size(); ++i) {
            EXPECT_EQ(rows.get(static_cast<int>(i), 0), hostile_values[i]);
            // The same value sent as a parameter compares equal.
            EXPECT_EQ(
                conn.query_value(sql::format("SELECT {} = $1", sql::Literal(hostile_values[i])), {hostile_values[i]}),
                "t")
                << hostile_values[i];
        }
        conn.exec("ROLLBACK");
    }
}

TEST_F(SqlPieces, AClientEncodingThatCanHideAQuoteIsRefused) {
    auto conn = open_postgres();
    conn.exec("SET client_encoding = 'SJIS'");
    EXPECT_THROW(conn.exec(sql::format("SELECT {}", sql::Literal("x"))), Error);
    conn.exec("SET client_encoding = 'UTF8'");
    EXPECT_EQ(conn.query_value(sql::format("SELECT {}", sql::Literal("x"))), "x");
}

}  // namespace
}  // namespace sandboxctl::test
