#include <gtest/gtest.h>

#include "schema/schema_script.hpp"

using sandboxctl::schema::split_script;

TEST(SchemaScript, SplitsAtEntryHeadersAndDropsMetaCommands) {
    std::string script =
        "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc123\n\nSET statement_timeout = 0;\n\n"
        "--\n-- Name: t1; Type: TABLE; Schema: public; Owner: -\n--\n\nCREATE TABLE public.t1 (id int);\n\n"
        "--\n-- Name: f(); Type: FUNCTION; Schema: public; Owner: -\n--\n\n"
        "CREATE FUNCTION public.f() RETURNS int LANGUAGE sql AS $$\n-- Name: not a header\nSELECT 1\n$$;\n\n"
        "\\unrestrict abc123\n";
    auto entries = split_script(script);
    ASSERT_EQ(entries.size(), 3u);
    EXPECT_EQ(entries[0].title, "preamble");
    EXPECT_NE(entries[0].sql.find("SET statement_timeout"), std::string::npos);
    EXPECT_EQ(entries[0].sql.find("\\restrict"), std::string::npos);
    EXPECT_EQ(entries[1].title, "TABLE public.t1");
    EXPECT_EQ(entries[2].title, "FUNCTION public.f()");
    EXPECT_NE(entries[2].sql.find("-- Name: not a header"), std::string::npos);
    EXPECT_EQ(entries[2].sql.find("unrestrict"), std::string::npos);
}

// pg_dump 18 on a prod of Debian 13's PostgreSQL 17.12 (issue 19).
TEST(SchemaScript, DropsTheAttributeOptionsTheServerSetsItself) {
    auto entries = split_script(
        "--\n-- Name: t; Type: TABLE; Schema: public; Owner: app\n--\n\n"
        "CREATE TABLE public.t (\n    a integer NOT NULL,\n    b text\n);\n"
        "ALTER TABLE ONLY public.t ALTER COLUMN a SET (pg_attver=22116832);\n"
        "ALTER TABLE ONLY public.t ALTER COLUMN b SET (pg_attver=22116832, n_distinct=5);\n"
        "ALTER TABLE ONLY public.t ALTER COLUMN \"x SET (pg_attver=1);\" SET (n_distinct_inherited=-1, pg_attver=7);\n"
        "ALTER TABLE ONLY public.t ALTER COLUMN c SET (pg_attver=12a);\n"
        "ALTER TABLE public.t OWNER TO app;\n");
    ASSERT_EQ(entries.size(), 1U);
    EXPECT_EQ(entries[0].sql,
              "--\n-- Name: t; Type: TABLE; Schema: public; Owner: app\n--\n\n"
              "CREATE TABLE public.t (\n    a integer NOT NULL,\n    b text\n);\n"
              "ALTER TABLE ONLY public.t ALTER COLUMN b SET (n_distinct=5);\n"
              "ALTER TABLE ONLY public.t ALTER COLUMN \"x SET (pg_attver=1);\" SET (n_distinct_inherited=-1);\n"
              "ALTER TABLE ONLY public.t ALTER COLUMN c SET (pg_attver=12a);\n"
              "ALTER TABLE public.t OWNER TO app;\n");
}

TEST(SchemaScript, EmptyScriptHasNoEntries) { EXPECT_TRUE(split_script("--\n-- nothing\n--\n").empty()); }
