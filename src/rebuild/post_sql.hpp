#pragma once
// Post-refresh SQL: the user's files, run inside the refresh transaction.
// They may change data and schema, but never the transaction itself: a COMMIT
// would make a half-built sandbox permanent, a ROLLBACK would report success
// for a refresh that never happened.
#include <filesystem>
#include <string>
#include <vector>

#include "pg/connection.hpp"

namespace sandboxctl::rebuild {

struct PostSqlFile {
    std::filesystem::path path;
    std::string text;
};

// Reads every file before anything is changed. Throws a usage error for a
// missing or unreadable file, or one with a transaction-control statement
// (named with its line).
std::vector<PostSqlFile> load_post_sql(const std::vector<std::filesystem::path>& paths);

// Runs each file as one dynamic statement of a DO block, where PostgreSQL
// itself refuses transaction control ("EXECUTE of transaction commands is not
// implemented", "invalid transaction termination" for procedures that
// commit); then checks that the session is still inside the same
// transaction. Either failure rolls the refresh back.
void run_post_sql(pg::Connection& target, const std::vector<PostSqlFile>& files);

// The id of the open transaction on `target`: compared before and after the
// user's SQL, it shows that the SQL did not end the transaction it ran in.
std::string current_transaction(pg::Connection& target);

}  // namespace sandboxctl::rebuild
