#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/secrets.hpp"
#include "pg/connection.hpp"
#include "pg/conninfo.hpp"

using sandboxctl::pg::ConnInfo;

TEST(ConnInfo, KeepsThePasswordApart) {
    auto info = ConnInfo::parse("host=db port=5433 dbname=erp user=dump password=s3cr3t-pw", "source");
    ASSERT_TRUE(info.password());
    EXPECT_EQ(*info.password(), "s3cr3t-pw");
    EXPECT_EQ(info.without_password().find("s3cr3t-pw"), std::string::npos);
    EXPECT_EQ(info.describe(), "host=db port=5433 dbname=erp user=dump");
    EXPECT_EQ(sandboxctl::secrets::redact("oops password=s3cr3t-pw leaked"), "oops password=******** leaked");
}

// Issue 9, item 4: with the password "public", every "public" in an error
// was masked, which told the reader the password.
TEST(Secrets, MasksValuesNotSubstrings) {
    using sandboxctl::secrets::redact;
    ConnInfo::parse("host=db user=u password=public", "target");
    EXPECT_EQ(redact("could not restore FK CONSTRAINT public.llx_c_regions"),
              "could not restore FK CONSTRAINT public.llx_c_regions");
    EXPECT_EQ(redact("conninfo host=db password=public dbname=x"), "conninfo host=db password=******** dbname=x");
    EXPECT_EQ(redact("password = 'pub\\'lic' user=u"), "password = ******** user=u");
    EXPECT_EQ(redact("PGPASSWORD=public psql"), "PGPASSWORD=******** psql");
    EXPECT_EQ(redact("postgresql://u:public@db:5432/x?password=public&sslmode=disable"),
              "postgresql://u:********@db:5432/x?password=********&sslmode=disable");
    EXPECT_EQ(redact("db:5432:erp:u:public\nschema public:ok"), "db:5432:erp:u:********\nschema public:ok");
    EXPECT_EQ(redact("12:30:45:99:other"), "12:30:45:99:other");
}

// A bad option or URI parameter name is shown; other quoted input is not.
TEST(ConnInfo, ParseErrorsNameBadOptionNames) {
    try {
        ConnInfo::parse("postgresql://u@db/erp?sslmod=disable", "source");
        FAIL() << "expected an error";
    } catch (const sandboxctl::Error& e) {
        EXPECT_NE(std::string(e.what()).find("\"sslmod\""), std::string::npos) << e.what();
    }
    try {
        ConnInfo::parse("host=db colour=blue", "source");
        FAIL() << "expected an error";
    } catch (const sandboxctl::Error& e) {
        EXPECT_NE(std::string(e.what()).find("\"colour\""), std::string::npos) << e.what();
    }
}

TEST(ConnInfo, ParsesUris) {
    auto info = ConnInfo::parse("postgresql://dump:uri-pw%40x@db:5432/erp?sslmode=disable", "source");
    EXPECT_EQ(info.get("host"), "db");
    EXPECT_EQ(info.get("dbname"), "erp");
    EXPECT_EQ(*info.password(), "uri-pw@x");
    EXPECT_EQ(info.without_password().find("uri-pw"), std::string::npos);
}

TEST(ConnInfo, QuotesValuesSoLibpqReadsThemBack) {
    auto info = ConnInfo::parse(R"(dbname='it\'s a db' user=x)", "target");
    info.add_server_setting("default_transaction_read_only", "on");
    auto again = ConnInfo::parse(info.without_password(), "target");
    EXPECT_EQ(again.get("dbname"), "it's a db");
    EXPECT_EQ(again.get("options"), "-c default_transaction_read_only=on");
}

TEST(ConnInfo, ParseErrorsDoNotEchoTheInput) {
    try {
        ConnInfo::parse("host=db password=abc def", "source");
        FAIL() << "expected an error";
    } catch (const sandboxctl::Error& e) {
        EXPECT_EQ(e.code(), sandboxctl::ExitCode::usage);
        EXPECT_EQ(std::string(e.what()).find("def"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("invalid source connection string"), std::string::npos);
    }
}

// Issue 9: errors quoted pg_restore's scripts as `query "--"`.
TEST(Queries, AreNamedByTheirFirstStatementLine) {
    using sandboxctl::pg::first_statement_line;
    EXPECT_EQ(first_statement_line("--\n-- Name: t; Type: TABLE\n--\n\n  CREATE TABLE t (id int);\n"),
              "CREATE TABLE t (id int);");
    EXPECT_EQ(first_statement_line("SELECT 1"), "SELECT 1");
    EXPECT_EQ(first_statement_line("-- only a comment\n"), "");
}
