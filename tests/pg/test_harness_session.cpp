// The harness keeps one session on database "postgres" (Cluster::psql) where
// every call used to be a session of its own: what one call does to that
// session must not reach the next, and a session the server ended must be
// replaced, as a new psql process would have been.
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::test {
namespace {

class HarnessSession : public PgTest {
protected:
    std::string on_postgres(const std::string& sql) { return cluster().psql("postgres", sql); }
};

TEST_F(HarnessSession, SettingsAndRoleOfOneCallDoNotReachTheNext) {
    on_postgres("SET ROLE pg_monitor; SET search_path = nowhere; SET statement_timeout = '1ms'");
    EXPECT_EQ(on_postgres("SELECT current_user, current_setting('search_path'), current_setting('statement_timeout')"),
              "postgres|\"$user\", public|0\n");
}

TEST_F(HarnessSession, ATransactionLeftOpenOrFailedIsNotCarried) {
    on_postgres("BEGIN; CREATE TEMP TABLE left_open (x int)");
    EXPECT_EQ(on_postgres("SELECT to_regclass('pg_temp.left_open') IS NULL, now() = statement_timestamp()"), "t|t\n");
    EXPECT_THROW(on_postgres("BEGIN; SELECT 1/0"), std::runtime_error);
    EXPECT_EQ(on_postgres("SELECT 1"), "1\n");
    EXPECT_THROW(on_postgres("SELECT 1/0"), std::runtime_error);
    EXPECT_EQ(on_postgres("SELECT 2"), "2\n");
}

TEST_F(HarnessSession, ASessionTheServerEndedIsReplaced) {
    auto first = on_postgres("SELECT pg_backend_pid()");
    auto other = pg::Connection::open(pg::ConnInfo::parse(cluster().admin_conninfo("postgres"), "test"), "test");
    first.pop_back();
    EXPECT_EQ(other.query_value("SELECT pg_terminate_backend(" + first + ", 5000)"), "t");
    auto second = on_postgres("SELECT pg_backend_pid()");
    second.pop_back();
    EXPECT_NE(second, first);
    // A statement's own error is still an error, on a session still usable.
    EXPECT_THROW(on_postgres("SELECT * FROM no_such_table"), std::runtime_error);
    second += "\n";
    EXPECT_EQ(on_postgres("SELECT pg_backend_pid()"), second);
}

}  // namespace
}  // namespace sandboxctl::test
