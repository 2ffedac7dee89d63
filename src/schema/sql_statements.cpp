#include "schema/sql_statements.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace sandboxctl::schema {
namespace {

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }
bool is_ident_char(char c) { return is_ident_start(c) || std::isdigit(static_cast<unsigned char>(c)) || c == '$'; }

std::string upper(std::string_view word) {
    std::string out(word);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::toupper(c); });
    return out;
}

// Walks the text once, keeping the state PostgreSQL's lexer would need to
// tell a statement-ending semicolon from one inside a literal, a comment,
// parentheses or a SQL-standard function body (BEGIN ATOMIC ... END).
class Scanner {
public:
    explicit Scanner(std::string_view sql) : sql_(sql) {}

    std::vector<SqlStatement> run() {
        while (pos_ < sql_.size()) step();
        finish_statement();
        return std::move(statements_);
    }

    // Scans `sql_` as one expression: the first problem found, if any.
    std::optional<std::string> expression_problem() {
        while (pos_ < sql_.size() && !problem_) step();
        if (!problem_ && paren_depth_ > 0) note_problem("an opening parenthesis is not closed");
        if (!problem_ && tokens_ == 0) note_problem("it is empty");
        return problem_;
    }

private:
    void step() {
        char c = sql_[pos_];
        if (c == '\n') {
            ++line_;
            ++pos_;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            ++pos_;
        } else if (starts_with("--")) {
            skip_line_comment();
        } else if (starts_with("/*")) {
            skip_block_comment();
        } else if (c == '\'') {
            skip_quoted('\'', false);
        } else if (c == '"') {
            skip_quoted('"', false);
        } else if (c == '$') {
            skip_dollar();
        } else if (is_ident_start(c)) {
            read_word();
        } else if (c == ';') {
            note_problem("a semicolon ends the expression");
            ++pos_;
            if (paren_depth_ == 0 && begin_depth_ == 0) finish_statement();
        } else {
            if (c == '(') ++paren_depth_;
            if (c == ')' && paren_depth_ == 0) note_problem("a closing parenthesis has no opening one");
            if (c == ')' && paren_depth_ > 0) --paren_depth_;
            note_token_start();
            ++tokens_;
            ++pos_;
        }
    }

    bool starts_with(std::string_view prefix) const { return sql_.substr(pos_).starts_with(prefix); }

    void advance_over(std::size_t end) {
        line_ +=
            static_cast<int>(std::count(sql_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                        sql_.begin() + static_cast<std::ptrdiff_t>(std::min(end, sql_.size())), '\n'));
        pos_ = std::min(end, sql_.size());
    }

    void skip_line_comment() {
        auto end = sql_.find('\n', pos_);
        pos_ = end == std::string_view::npos ? sql_.size() : end;
    }

    void skip_block_comment() {
        int depth = 0;
        std::size_t p = pos_;
        while (p < sql_.size()) {
            if (sql_.substr(p).starts_with("/*")) {
                ++depth;
                p += 2;
            } else if (sql_.substr(p).starts_with("*/")) {
                p += 2;
                if (--depth == 0) break;
            } else {
                ++p;
            }
        }
        if (depth != 0) note_problem("a block comment is not closed");
        advance_over(p);
    }

    // 'text' (quote doubled inside; backslash escapes in E'' strings) or "identifier".
    void skip_quoted(char quote, bool backslash_escapes) {
        note_token_start();
        ++tokens_;
        std::size_t p = pos_ + 1;
        bool closed = false;
        while (p < sql_.size()) {
            if (backslash_escapes && sql_[p] == '\\') {
                p += 2;
            } else if (sql_[p] == quote) {
                if (p + 1 < sql_.size() && sql_[p + 1] == quote) {
                    p += 2;
                } else {
                    ++p;
                    closed = true;
                    break;
                }
            } else {
                ++p;
            }
        }
        if (!closed) note_problem(quote == '"' ? "a quoted identifier is not closed" : "a string is not closed");
        advance_over(p);
    }

    // $tag$ ... $tag$; a lone $ (a parameter such as $1) is an ordinary character.
    void skip_dollar() {
        note_token_start();
        std::size_t p = pos_ + 1;
        if (p < sql_.size() && is_ident_start(sql_[p])) {
            while (p < sql_.size() && is_ident_char(sql_[p]) && sql_[p] != '$') ++p;
        }
        if (p >= sql_.size() || sql_[p] != '$') {
            ++pos_;
            return;
        }
        std::string_view tag = sql_.substr(pos_, p - pos_ + 1);
        auto close = sql_.find(tag, p + 1);
        ++tokens_;
        if (close == std::string_view::npos) note_problem("a dollar-quoted string is not closed");
        advance_over(close == std::string_view::npos ? sql_.size() : close + tag.size());
    }

    void read_word() {
        std::size_t end = pos_;
        while (end < sql_.size() && is_ident_char(sql_[end])) ++end;
        std::string word = upper(sql_.substr(pos_, end - pos_));
        if (word == "E" && end < sql_.size() && sql_[end] == '\'') {
            pos_ = end;
            skip_quoted('\'', true);
            return;
        }
        note_token_start();
        ++tokens_;
        if (current_.keywords.size() < 2) current_.keywords.push_back(word);
        track_function_body(word);
        ++words_;
        pos_ = end;
    }

    // As psql does: inside CREATE [OR REPLACE] FUNCTION|PROCEDURE, BEGIN (and
    // CASE within it) opens a block that END closes; semicolons inside it do
    // not end the statement.
    void track_function_body(const std::string& word) {
        if (words_ < leading_.size()) leading_[words_] = word;
        bool creates_routine = leading_[0] == "CREATE" && (leading_[1] == "FUNCTION" || leading_[1] == "PROCEDURE" ||
                                                           (leading_[1] == "OR" && leading_[2] == "REPLACE" &&
                                                            (leading_[3] == "FUNCTION" || leading_[3] == "PROCEDURE")));
        if (!creates_routine || paren_depth_ != 0) return;
        if (word == "BEGIN") {
            ++begin_depth_;
        } else if (word == "CASE" && begin_depth_ > 0) {
            ++begin_depth_;
        } else if (word == "END" && begin_depth_ > 0) {
            --begin_depth_;
        }
    }

    void note_token_start() {
        if (current_.line == 0) current_.line = line_;
    }

    void note_problem(const char* what) {
        if (!problem_) problem_ = what;
    }

    void finish_statement() {
        if (current_.line != 0) statements_.push_back(std::move(current_));
        current_ = {};
        leading_ = {};
        words_ = 0;
        paren_depth_ = 0;
        begin_depth_ = 0;
    }

    std::string_view sql_;
    std::size_t pos_ = 0;
    int line_ = 1;
    int paren_depth_ = 0;
    int begin_depth_ = 0;
    std::size_t words_ = 0;
    std::array<std::string, 4> leading_{};
    SqlStatement current_;
    std::vector<SqlStatement> statements_;
    std::size_t tokens_ = 0;
    std::optional<std::string> problem_;
};

bool is_transaction_control(const SqlStatement& s) {
    if (s.keywords.empty()) return false;
    const std::string& first = s.keywords[0];
    const std::string second = s.keywords.size() > 1 ? s.keywords[1] : "";
    static constexpr std::array<std::string_view, 8> always = {"BEGIN", "COMMIT",    "END",     "ROLLBACK",
                                                               "ABORT", "SAVEPOINT", "RELEASE", "START"};
    if (std::find(always.begin(), always.end(), first) != always.end()) return true;
    return first == "PREPARE" && second == "TRANSACTION";
}

}  // namespace

std::optional<std::string> expression_problem(std::string_view sql) { return Scanner(sql).expression_problem(); }

std::vector<SqlStatement> split_statements(std::string_view sql) { return Scanner(sql).run(); }

std::optional<SqlStatement> find_transaction_control(std::string_view sql) {
    for (auto& statement : split_statements(sql)) {
        if (is_transaction_control(statement)) return statement;
    }
    return std::nullopt;
}

}  // namespace sandboxctl::schema
