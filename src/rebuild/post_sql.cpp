#include "rebuild/post_sql.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include "core/interrupt.hpp"
#include "schema/sql_statements.hpp"

namespace sandboxctl::rebuild {
namespace {

constexpr const char* transaction_hint =
    "Post-refresh SQL runs inside the refresh transaction, which sandboxctl commits only when every step "
    "succeeded. Remove BEGIN, COMMIT, ROLLBACK, SAVEPOINT and the like from the file.";

std::string read_whole_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) {
        throw usage_error(
            fmt::format("post-refresh SQL file \"{}\" does not exist or is not a regular file", path.string()),
            "Check --post-sql and refresh.post_sql (relative to the config file's directory).");
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in || in.bad()) {
        throw usage_error(fmt::format("could not read post-refresh SQL file \"{}\"", path.string()));
    }
    return text.str();
}

// A tag that does not occur in `text`, so the file can be dollar-quoted whole.
std::string dollar_tag_absent_from(const std::string& text, std::string_view base) {
    for (int n = 0;; ++n) {
        std::string tag = n == 0 ? fmt::format("${}$", base) : fmt::format("${}_{}$", base, n);
        if (text.find(tag) == std::string::npos) return tag;
    }
}

// 1-based line of the `position`th character (not byte) of UTF-8 `text`.
int line_of_character(const std::string& text, int position) {
    int line = 1, characters = 0;
    for (char c : text) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && ++characters >= position) break;
        if (c == '\n') ++line;
    }
    return line;
}

bool is_transaction_refusal(const pg::ServerMessage& server) {
    // 0A000 from PL/pgSQL's EXECUTE of BEGIN/COMMIT/...; 2D000 from a
    // procedure or DO block that tries to COMMIT or ROLLBACK.
    return server.sqlstate == "2D000" ||
           (server.sqlstate == "0A000" && server.primary.find("transaction commands") != std::string::npos);
}

// The DO block that carries the file is sandboxctl's, not the user's: leave
// it out of the context the server reports.
std::string user_context(const std::string& context) {
    std::string out;
    std::istringstream lines(context);
    for (std::string line; std::getline(lines, line);) {
        if (line.find("inline_code_block line 1 at EXECUTE") != std::string::npos) continue;
        out += (out.empty() ? "" : "\n") + line;
    }
    return out;
}

[[noreturn]] void throw_file_error(const PostSqlFile& file, const pg::PgError& error) {
    if (interrupt::requested()) {
        throw failure(fmt::format("post-refresh SQL file \"{}\" was {}", file.path.string(), interrupt::describe()));
    }
    const auto& server = error.server();
    std::string where = server.internal_position > 0
                            ? fmt::format(" at line {}", line_of_character(file.text, server.internal_position))
                            : "";
    std::string message = fmt::format("post-refresh SQL file \"{}\" failed{}: {}", file.path.string(), where,
                                      server.primary.empty() ? error.what() : server.primary);
    if (!server.detail.empty()) message += "\nDETAIL: " + server.detail;
    if (auto context = user_context(server.context); !context.empty()) message += "\nCONTEXT: " + context;
    if (is_transaction_refusal(server)) throw failure(message, transaction_hint);
    throw pg::PgError(error.code(), message, error.hint(), server);
}

}  // namespace

std::string current_transaction(pg::Connection& target) {
    return target.query_value("SELECT pg_catalog.pg_current_xact_id()::text");
}

std::vector<PostSqlFile> load_post_sql(const std::vector<std::filesystem::path>& paths) {
    std::vector<PostSqlFile> files;
    for (const auto& path : paths) {
        PostSqlFile file{path, read_whole_file(path)};
        if (auto statement = schema::find_transaction_control(file.text)) {
            throw usage_error(fmt::format("post-refresh SQL file \"{}\" line {}: {} would leave the refresh "
                                          "transaction",
                                          path.string(), statement->line, statement->keywords.front()),
                              transaction_hint);
        }
        files.push_back(std::move(file));
    }
    return files;
}

void run_post_sql(pg::Connection& target, const std::vector<PostSqlFile>& files) {
    const std::string transaction = current_transaction(target);
    for (const auto& file : files) {
        if (schema::split_statements(file.text).empty()) continue;  // only comments: EXECUTE '' would fail
        std::string inner = dollar_tag_absent_from(file.text, "sandboxctl_post_sql");
        std::string outer = dollar_tag_absent_from(file.text + inner, "sandboxctl_do");
        try {
            target.exec(fmt::format("DO {0} BEGIN EXECUTE {1}{2}{1}; END {0}", outer, inner, file.text));
        } catch (const pg::PgError& e) {
            throw_file_error(file, e);
        }
        // Defence in depth: the server refuses transaction control inside
        // EXECUTE, but should anything get past it, nothing may commit.
        if (PQtransactionStatus(target.raw()) != PQTRANS_INTRANS || current_transaction(target) != transaction) {
            throw failure(fmt::format("post-refresh SQL file \"{}\" left the refresh transaction", file.path.string()),
                          transaction_hint);
        }
    }
}

}  // namespace sandboxctl::rebuild
