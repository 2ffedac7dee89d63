// The lexical scan that refuses transaction control in post-refresh SQL
// before the sandbox is touched (issue 9, item 1).
#include <gtest/gtest.h>

#include "schema/sql_statements.hpp"

using sandboxctl::schema::find_transaction_control;
using sandboxctl::schema::split_statements;

namespace {

std::string first_keyword(std::string_view sql) {
    auto found = find_transaction_control(sql);
    return found ? found->keywords.front() : "";
}

}  // namespace

TEST(SqlStatements, FindsEverySpellingOfTransactionControl) {
    EXPECT_EQ(first_keyword("BEGIN; UPDATE t SET a = 1; COMMIT;"), "BEGIN");
    EXPECT_EQ(first_keyword("update t set a = 1;\ncommit"), "COMMIT");
    EXPECT_EQ(first_keyword("ROLLBACK;"), "ROLLBACK");
    EXPECT_EQ(first_keyword("select 1; /* a /* nested */ comment */ CoMmIt WORK;"), "COMMIT");
    EXPECT_EQ(first_keyword("-- comment; with semicolon\n  end transaction"), "END");
    EXPECT_EQ(first_keyword("abort"), "ABORT");
    EXPECT_EQ(first_keyword("start transaction isolation level serializable;"), "START");
    EXPECT_EQ(first_keyword("savepoint a; release a;"), "SAVEPOINT");
    EXPECT_EQ(first_keyword("release savepoint sandboxctl_batch"), "RELEASE");
    EXPECT_EQ(first_keyword("PREPARE TRANSACTION 'x';"), "PREPARE");
    EXPECT_EQ(first_keyword("commit prepared 'x'"), "COMMIT");
    EXPECT_EQ(first_keyword("rollback to savepoint a"), "ROLLBACK");
    EXPECT_EQ(first_keyword("SELECT 1;;\tBEGIN"), "BEGIN");
}

TEST(SqlStatements, IgnoresKeywordsInsideLiteralsCommentsAndBodies) {
    EXPECT_EQ(first_keyword("SELECT 'x; COMMIT';"), "");
    EXPECT_EQ(first_keyword("SELECT E'it\\'s; COMMIT';"), "");
    EXPECT_EQ(first_keyword("SELECT 'it''s; COMMIT';"), "");
    EXPECT_EQ(first_keyword("SELECT \"a;\"\"commit\" FROM t;"), "");
    EXPECT_EQ(first_keyword("-- COMMIT;\nSELECT 1; /* ; ROLLBACK */"), "");
    EXPECT_EQ(first_keyword("DO $$ BEGIN PERFORM 1; END $$;"), "");
    EXPECT_EQ(first_keyword("DO $body$ BEGIN\n  COMMIT;\nEND $body$;"), "");
    EXPECT_EQ(first_keyword("CREATE FUNCTION f() RETURNS int AS $f$ BEGIN RETURN 1; END $f$ LANGUAGE plpgsql;"), "");
    EXPECT_EQ(first_keyword("PREPARE q AS SELECT 1; EXECUTE q;"), "");
    EXPECT_EQ(first_keyword("SELECT $1, a$b FROM t; UPDATE t SET x = 1"), "");
    // SQL-standard bodies hold semicolons and END outside any quotes.
    EXPECT_EQ(first_keyword("CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql\n"
                            "BEGIN ATOMIC\n  SELECT CASE WHEN true THEN 1 END;\n  SELECT 2;\nEND;\nSELECT 3;"),
              "");
    EXPECT_EQ(first_keyword("CREATE PROCEDURE p() LANGUAGE sql BEGIN ATOMIC INSERT INTO t VALUES (1); END; COMMIT;"),
              "COMMIT");
}

TEST(SqlStatements, ReportsTheLineOfEachStatement) {
    auto statements = split_statements("-- header\n\nUPDATE t\n   SET a = 1;\n\n/* c\n */ COMMIT;\nSELECT ';\n';\n");
    ASSERT_EQ(statements.size(), 3u);
    EXPECT_EQ(statements[0].line, 3);
    EXPECT_EQ(statements[0].keywords, (std::vector<std::string>{"UPDATE", "T"}));
    EXPECT_EQ(statements[1].line, 7);
    EXPECT_EQ(statements[2].line, 8);
    EXPECT_TRUE(split_statements("-- only a comment\n/* and another */\n;\n").empty());
}

// Issue 18, item 12: a keep rule's where must be one expression that cannot
// reach beyond the parentheses sandboxctl puts around it.
TEST(SqlStatements, AcceptsOneSelfContainedExpression) {
    using sandboxctl::schema::expression_problem;
    for (const char* ok :
         {"name = 'a;b' AND entity = 1", "name LIKE 'AGENT_%' -- the agent's own", "/* why */ (a OR b) AND c = $$x)$$",
          "login = \"Login\"", "f(g(1), 2) = 3", "e'it''s \\' ; ' IS NOT NULL"}) {
        EXPECT_EQ(expression_problem(ok), std::nullopt) << ok;
    }
    EXPECT_EQ(expression_problem("true; SELECT 1"), "a semicolon ends the expression");
    EXPECT_EQ(expression_problem("true) TO STDOUT; --"), "a closing parenthesis has no opening one");
    EXPECT_EQ(expression_problem("(true"), "an opening parenthesis is not closed");
    EXPECT_EQ(expression_problem("'open"), "a string is not closed");
    EXPECT_EQ(expression_problem("\"open"), "a quoted identifier is not closed");
    EXPECT_EQ(expression_problem("$q$ open"), "a dollar-quoted string is not closed");
    EXPECT_EQ(expression_problem("true /* open"), "a block comment is not closed");
    EXPECT_EQ(expression_problem("  -- nothing but a comment"), "it is empty");
    EXPECT_EQ(expression_problem(""), "it is empty");
}
