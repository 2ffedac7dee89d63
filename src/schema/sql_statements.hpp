#pragma once
// A lexical view of user-written SQL (post-refresh files): where each
// statement starts and which keywords lead it. It follows PostgreSQL's lexical
// rules (comments, nested block comments, quoted strings and identifiers,
// E'' escapes, dollar quoting, BEGIN ATOMIC bodies) closely enough to find
// statement boundaries; the server remains the judge of what the text means.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::schema {

struct SqlStatement {
    int line = 0;                       // 1-based line of its first keyword
    std::vector<std::string> keywords;  // its first two words, upper-cased ("COMMIT", "PREPARED")
};

std::vector<SqlStatement> split_statements(std::string_view sql);

// The first statement that would begin, end or otherwise leave the enclosing
// transaction (BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT,
// SAVEPOINT, RELEASE, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED), if any.
std::optional<SqlStatement> find_transaction_control(std::string_view sql);

// Why `sql` is not one self-contained SQL expression (a keep rule's where),
// or nothing when it is: a semicolon outside literals, a parenthesis it
// closes without opening or leaves open, an unterminated quote, dollar quote
// or block comment, or no token at all. Comments are allowed. Wrapped as
// "(\n" + sql + "\n)", text that passes cannot reach beyond its parentheses;
// the server then judges whether it is a boolean expression.
std::optional<std::string> expression_problem(std::string_view sql);

}  // namespace sandboxctl::schema
