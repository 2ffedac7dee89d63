// Prod is never written: with log_statement = 'all' on the source database,
// everything sandboxctl's sessions (and its pg_dump) ran there is read, ran in
// an explicitly read-only transaction (or is session setup in a session
// started with default_transaction_read_only = on), and took no transaction
// id — which any write, even to a temporary table, would have.
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "faults/fault_fixture.hpp"

namespace sandboxctl::test {
namespace {

struct Statement {
    std::string pid, application, xid, text;
};

// Statements logged for `database` after byte `offset` of the server log.
std::vector<Statement> logged_statements(const std::filesystem::path& log, std::streamoff offset,
                                         const std::string& database) {
    std::ifstream in(log);
    in.seekg(offset);
    static const std::regex line(
        R"(^\S+ \S+ \S+ \[(\d+)\] sbxlog db=(\S*) app=(.*) xid=(\d+): LOG:  (?:statement|execute [^:]*): (.*)$)");
    std::vector<Statement> out;
    std::string text;
    bool ours = false;
    while (std::getline(in, text)) {
        std::smatch m;
        if (std::regex_match(text, m, line)) {
            ours = m[2] == database;
            if (ours) out.push_back({m[1], m[3], m[4], m[5]});
        } else if (ours && !out.empty() && (text.starts_with("\t") || text.find("sbxlog") == std::string::npos)) {
            out.back().text += "\n" + text;  // a statement spanning lines
        } else {
            ours = false;
        }
    }
    return out;
}

std::string upper_head(const std::string& text) {
    std::string head;
    auto start = text.find_first_not_of(" \t\n");
    if (start == std::string::npos) return head;
    for (char c : text.substr(start, 400)) {
        bool space = c == '\n' || c == '\t' || c == '\r';
        head += space ? ' ' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return head;
}

// Settings of the session itself. pg_dump also asks whether the server is a
// standby and sets restrict_nonsystem_relation_kind before its transaction
// begins; those run in the session sandboxctl started with
// default_transaction_read_only = on (and take no xid, checked below).
bool session_setup(const std::string& head) {
    return head.starts_with("SET ") || head.starts_with("RESET ") || head.starts_with("SHOW ") ||
           head.starts_with("SELECT PG_CATALOG.SET_CONFIG(") || head.starts_with("SELECT SET_CONFIG(NAME, ") ||
           head == "SELECT PG_CATALOG.PG_IS_IN_RECOVERY()";
}

bool starts_read_only_transaction(const std::string& head) {
    return (head.starts_with("BEGIN") || head.starts_with("START TRANSACTION")) &&
           head.find("READ ONLY") != std::string::npos;
}

bool is_read(const std::string& head) {
    static const std::regex copy_out(R"(^COPY [\s\S]* TO STDOUT)");
    return head.starts_with("SELECT ") || head.starts_with("WITH ") || head.starts_with("SHOW ") ||
           head.starts_with("FETCH ") || head.starts_with("DECLARE ") || head.starts_with("CLOSE ") ||
           head.starts_with("LOCK TABLE ") || std::regex_search(head, copy_out) || head == "COMMIT" ||
           head == "ROLLBACK" || head.starts_with("SET TRANSACTION ") || session_setup(head);
}

class WriteProof : public FaultTest {
protected:
    void SetUp() override {
        FaultTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        cluster().psql("postgres", "ALTER SYSTEM SET log_line_prefix = '%m [%p] sbxlog db=%d app=%a xid=%x: '");
        cluster().psql("postgres", "SELECT pg_reload_conf()");
        // The login's own default is off: read-only-ness must come from sandboxctl.
        cluster().psql("postgres", "ALTER ROLE sbx_dump SET default_transaction_read_only = off");
        cluster().psql("postgres", "ALTER DATABASE \"" + model_->prod() + "\" SET log_statement = 'all'");
    }
    void TearDown() override {
        if (model_) {
            cluster().psql("postgres", "ALTER ROLE sbx_dump RESET default_transaction_read_only");
            cluster().psql("postgres", "ALTER SYSTEM RESET log_line_prefix");
            cluster().psql("postgres", "SELECT pg_reload_conf()");
        }
        FaultTest::TearDown();
    }

    std::unique_ptr<Model> model_;
};

TEST_F(WriteProof, SourceSessionsOnlyRead) {
    auto offset = static_cast<std::streamoff>(std::filesystem::file_size(cluster().server_log()));
    auto env = connection_env(*model_);
    for (const auto& command : {"refresh", "plan", "doctor", "verify"}) {
        auto run = run_tool({command}, env);
        EXPECT_EQ(run.exit_code, 0) << command << ": " << run.all();
    }
    // An explicit exclusion and data exclusion exercise pg_dump's filters too.
    auto run = run_tool({"refresh", "--exclude", "public.audit_log", "--exclude-data", "public.toasted"}, env);
    EXPECT_EQ(run.exit_code, 0) << run.all();
    // The logger writes asynchronously; the last statement is a COMMIT or ROLLBACK.
    std::vector<Statement> statements;
    ASSERT_TRUE(wait_until(
        [&] {
            statements = logged_statements(cluster().server_log(), offset, model_->prod());
            return statements.size() > 50;
        },
        10));

    std::map<std::string, bool> in_read_only_transaction;         // by backend pid
    std::map<std::string, std::set<std::string>> prepared_reads;  // by backend pid: PREPARE name AS SELECT
    static const std::regex prepare(R"(^PREPARE (\w+)(?:\([^)]*\))?\s+AS\s+SELECT\s)");
    static const std::regex execute(R"(^EXECUTE (\w+)\()");
    std::set<std::string> applications;
    int reads = 0;
    for (const auto& s : statements) {
        SCOPED_TRACE("[" + s.pid + "] " + s.application + ": " + s.text.substr(0, 200));
        applications.insert(s.application);
        EXPECT_EQ(s.xid, "0") << "a transaction id was assigned: something was written";
        std::string head = upper_head(s.text);
        std::smatch m;
        if (std::regex_search(head, m, prepare)) {
            prepared_reads[s.pid].insert(m[1]);
            continue;  // preparing executes nothing
        }
        bool executes_read = std::regex_search(head, m, execute) && prepared_reads[s.pid].contains(m[1]);
        EXPECT_TRUE(is_read(head) || executes_read || starts_read_only_transaction(head) || head.starts_with("BEGIN"));
        EXPECT_EQ(head.find("READ WRITE"), std::string::npos);
        EXPECT_EQ(head.find("TRANSACTION_READ_ONLY = OFF"), std::string::npos);
        EXPECT_EQ(head.find("DEFAULT_TRANSACTION_READ_ONLY"), std::string::npos);
        bool& read_only = in_read_only_transaction[s.pid];
        if (starts_read_only_transaction(head)) {
            read_only = true;
        } else if (head.starts_with("SET TRANSACTION") && head.find("READ ONLY") != std::string::npos) {
            read_only = true;  // pg_dump: BEGIN, then SET TRANSACTION ... READ ONLY
        } else if (head == "COMMIT" || head == "ROLLBACK") {
            read_only = false;
        } else if (!session_setup(head) && !head.starts_with("BEGIN")) {
            ++reads;
            EXPECT_TRUE(read_only) << "a read outside an explicitly read-only transaction";
        }
    }
    EXPECT_GT(reads, 50);
    // sandboxctl's own sessions and its pg_dump were all seen.
    EXPECT_TRUE(applications.contains("sandboxctl/refresh")) << statements.size();
    EXPECT_TRUE(applications.contains("pg_dump"));
}

}  // namespace
}  // namespace sandboxctl::test
