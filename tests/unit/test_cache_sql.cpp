// The golden cache's SQL, built from hand-built relations without a server.
#include <gtest/gtest.h>

#include "snapshot/cache_sql.hpp"

namespace sandboxctl::snapshot {
namespace {

struct Column {
    std::string name, type;
    bool builtin = true;
};

catalog::Relation table(unsigned oid, std::string schema, std::string name, const std::vector<Column>& columns,
                        std::vector<std::pair<std::string, std::string>> key = {}) {
    catalog::Relation r;
    r.oid = oid;
    r.schema = std::move(schema);
    r.name = std::move(name);
    r.owner = "app";
    for (const auto& c : columns) {
        r.copy_columns.push_back(c.name);
        r.copy_column_types.push_back(c.type);
        r.copy_column_builtin.push_back(c.builtin);
    }
    r.primary_key = std::move(key);
    return r;
}

// "order" (a reserved word) keyed on id, with an enum column the cache holds
// as text and an identity column an update must not set.
catalog::Relation orders() {
    auto r = table(200, "public", "order",
                   {{"id", "integer"}, {"status", "public.mood", false}, {"note", "text"}, {"ident", "bigint"}},
                   {{"id", "integer"}});
    r.identity_always = {"ident"};
    return r;
}

// A composite key, one part of a user type (a domain), in a schema and table
// whose names need quoting.
catalog::Relation line_items() {
    return table(300, "Shop", "Line Item",
                 {{"order_id", "integer"}, {"sku", "public.sku", false}, {"qty", "numeric(10,2)"}},
                 {{"order_id", "integer"}, {"sku", "public.sku"}});
}

catalog::Relation log_table() { return table(400, "O'Brien", "log", {{"msg", "text"}}); }

const std::string g1 = "sandboxctl_golden.g1";

TEST(CacheSql, BuildScriptCopiesEachTableWithUserTypesAsText) {
    auto a = orders();
    auto b = log_table();
    EXPECT_EQ(cache_build_script({&a, &b}),
              "DROP SCHEMA IF EXISTS sandboxctl_golden CASCADE;\n"
              "CREATE SCHEMA sandboxctl_golden;\n"
              "COMMENT ON SCHEMA sandboxctl_golden IS 'sandboxctl golden copy for delta resets; do not edit';\n"
              "CREATE TABLE sandboxctl_golden.tables (schema text NOT NULL, name text NOT NULL, cache text NOT NULL,\n"
              "                                      PRIMARY KEY (schema, name));\n"
              "CREATE TABLE sandboxctl_golden.g1 AS SELECT \"id\", \"status\"::text AS \"status\", \"note\", \"ident\" "
              "FROM ONLY \"public\".\"order\";\n"
              "CREATE INDEX ON sandboxctl_golden.g1 (\"id\");\n"
              "ANALYZE sandboxctl_golden.g1;\n"
              "INSERT INTO sandboxctl_golden.tables VALUES ('public', 'order', 'sandboxctl_golden.g1');\n"
              "CREATE TABLE sandboxctl_golden.g2 AS SELECT \"msg\" FROM ONLY \"O'Brien\".\"log\";\n"
              "ANALYZE sandboxctl_golden.g2;\n"
              "INSERT INTO sandboxctl_golden.tables VALUES ('O''Brien', 'log', 'sandboxctl_golden.g2');\n"
              "CREATE TABLE sandboxctl_golden.meta (snapshot text NOT NULL);\n");
}

TEST(CacheSql, BuildScriptIndexesACompositeKeyInKeyOrder) {
    auto t = line_items();
    std::swap(t.primary_key[0], t.primary_key[1]);
    auto script = cache_build_script({&t});
    EXPECT_NE(script.find("CREATE TABLE sandboxctl_golden.g1 AS SELECT \"order_id\", \"sku\"::text AS \"sku\", "
                          "\"qty\" FROM ONLY \"Shop\".\"Line Item\";\n"
                          "CREATE INDEX ON sandboxctl_golden.g1 (\"sku\", \"order_id\");\n"),
              std::string::npos)
        << script;
    EXPECT_NE(script.find("VALUES ('Shop', 'Line Item', 'sandboxctl_golden.g1');"), std::string::npos) << script;
}

TEST(CacheSql, KeyedRestoreOfTheWholeTable) {
    auto t = orders();
    auto restore = keyed_restore(t, g1, false);
    EXPECT_EQ(restore.remove, "DELETE FROM ONLY \"public\".\"order\" t WHERE NOT EXISTS "
                              "(SELECT 1 FROM sandboxctl_golden.g1 g WHERE t.\"id\" = g.\"id\")");
    EXPECT_EQ(restore.insert,
              "INSERT INTO \"public\".\"order\" (\"id\", \"status\", \"note\", \"ident\") "
              "OVERRIDING SYSTEM VALUE SELECT g.\"id\", g.\"status\"::public.mood, g.\"note\", g.\"ident\" "
              "FROM sandboxctl_golden.g1 g WHERE NOT EXISTS "
              "(SELECT 1 FROM ONLY \"public\".\"order\" t WHERE t.\"id\" = g.\"id\")");
    // Neither the key nor the GENERATED ALWAYS column is set; compared as text.
    EXPECT_EQ(restore.update, "UPDATE ONLY \"public\".\"order\" t SET \"status\" = g.\"status\"::public.mood, "
                              "\"note\" = g.\"note\" FROM sandboxctl_golden.g1 g WHERE t.\"id\" = g.\"id\" AND "
                              "(t.\"status\"::text, t.\"note\"::text) IS DISTINCT FROM "
                              "(g.\"status\"::text, g.\"note\"::text)");
}

// Issue 18, item 15: each statement starts from the logged keys and probes
// table and cache by key (an IN (logged keys) filter left the planner
// scanning the table: a delta reset cost what the tables weigh).
TEST(CacheSql, KeyedRestoreOfTheLoggedKeysStartsFromTheKeysAndCastsThemBack) {
    auto t = line_items();
    auto restore = keyed_restore(t, g1, true);
    const std::string logged = "(SELECT DISTINCT (key ->> 'order_id')::integer AS k0, (key ->> 'sku')::public.sku AS "
                               "k1 FROM sandboxctl.changes WHERE relid = 300 AND key IS NOT NULL) k";
    const std::string match = "t.\"order_id\" = g.\"order_id\" AND t.\"sku\" = g.\"sku\"::public.sku";
    EXPECT_EQ(restore.remove, "DELETE FROM ONLY \"Shop\".\"Line Item\" t USING " + logged +
                                  " WHERE t.\"order_id\" = k.k0 AND t.\"sku\" = k.k1 AND NOT EXISTS (SELECT 1 FROM "
                                  "sandboxctl_golden.g1 g WHERE " +
                                  match + ")");
    EXPECT_EQ(restore.insert, "INSERT INTO \"Shop\".\"Line Item\" (\"order_id\", \"sku\", \"qty\") OVERRIDING SYSTEM "
                              "VALUE SELECT g.\"order_id\", g.\"sku\"::public.sku, g.\"qty\" FROM sandboxctl_golden.g1 "
                              "g JOIN " +
                                  logged +
                                  " ON g.\"order_id\" = k.k0 AND g.\"sku\"::public.sku = k.k1 WHERE NOT EXISTS "
                                  "(SELECT 1 FROM ONLY \"Shop\".\"Line Item\" t WHERE " +
                                  match + ")");
    EXPECT_EQ(restore.update, "UPDATE ONLY \"Shop\".\"Line Item\" t SET \"qty\" = g.\"qty\" FROM sandboxctl_golden.g1 "
                              "g, " +
                                  logged + " WHERE t.\"order_id\" = k.k0 AND t.\"sku\" = k.k1 AND " + match +
                                  " AND (t.\"qty\"::text) IS DISTINCT FROM (g.\"qty\"::text)");
}

TEST(CacheSql, NothingToUpdateWhenEveryColumnIsKeyOrIdentity) {
    auto key_only = table(500, "public", "tag", {{"id", "integer"}}, {{"id", "integer"}});
    EXPECT_EQ(keyed_restore(key_only, g1, false).update, "");
    auto identity = orders();
    identity.copy_columns = {"id", "ident"};
    identity.copy_column_types = {"integer", "bigint"};
    identity.copy_column_builtin = {true, true};
    EXPECT_EQ(keyed_restore(identity, g1, true).update, "");
    EXPECT_NE(keyed_restore(identity, g1, true).insert.find("OVERRIDING SYSTEM VALUE"), std::string::npos);
}

TEST(CacheSql, InsertAllOfATableWithoutColumns) {
    auto t = table(600, "public", "marker", {});
    EXPECT_EQ(insert_all_cached(t, g1), "INSERT INTO \"public\".\"marker\" SELECT FROM sandboxctl_golden.g1");
}

TEST(CacheSql, ReloadTruncatesUnlessReferenced) {
    auto t = log_table();
    const std::string drop = "ALTER TABLE ONLY \"O'Brien\".\"log\" DROP CONSTRAINT \"log_fk\";\n";
    const std::string add = "ALTER TABLE ONLY \"O'Brien\".\"log\" ADD CONSTRAINT \"log_fk\" FOREIGN KEY ...;\n";
    const std::string insert = "INSERT INTO \"O'Brien\".\"log\" (\"msg\") OVERRIDING SYSTEM VALUE SELECT g.\"msg\" "
                               "FROM sandboxctl_golden.g1 g";
    EXPECT_EQ(reload_script(t, g1, false, drop, add),
              drop + "TRUNCATE ONLY \"O'Brien\".\"log\";\n" + insert + ";\n" + add);
    // TRUNCATE refuses a table other tables reference.
    EXPECT_EQ(reload_script(t, g1, true, "", ""), "DELETE FROM ONLY \"O'Brien\".\"log\";\n" + insert + ";\n");
}

TEST(CacheSql, ReloadCountsOfAKeyedTable) {
    auto t = orders();
    const std::string counts = "SELECT count(*) FILTER (WHERE g.ctid IS NULL AND t.ctid IS NOT NULL), "
                               "count(*) FILTER (WHERE t.ctid IS NULL AND g.ctid IS NOT NULL), "
                               "count(*) FILTER (WHERE t.ctid IS NOT NULL AND g.ctid IS NOT NULL AND "
                               "(t.\"status\"::text, t.\"note\"::text) IS DISTINCT FROM "
                               "(g.\"status\"::text, g.\"note\"::text)) FROM ";
    EXPECT_EQ(keyed_reload_counts(t, g1, false),
              counts + "ONLY \"public\".\"order\" t FULL JOIN sandboxctl_golden.g1 g ON t.\"id\" = g.\"id\"");
    EXPECT_EQ(keyed_reload_counts(t, g1, true),
              counts + "(SELECT DISTINCT (key ->> 'id')::integer AS k0 FROM sandboxctl.changes WHERE relid = 200 AND "
                       "key IS NOT NULL) k LEFT JOIN ONLY \"public\".\"order\" t ON t.\"id\" = k.k0 "
                       "LEFT JOIN sandboxctl_golden.g1 g ON g.\"id\" = k.k0");
    auto key_only = table(500, "public", "tag", {{"id", "integer"}}, {{"id", "integer"}});
    EXPECT_NE(keyed_reload_counts(key_only, g1, false).find("g.ctid IS NOT NULL AND false)"), std::string::npos);
}

TEST(CacheSql, ReloadCountsOfATableWithoutKeyCompareMultisets) {
    auto t = table(700, "public", "event", {{"at", "timestamptz"}, {"what", "public.kind", false}});
    const std::string mine = "SELECT \"at\"::text, \"what\"::text FROM ONLY \"public\".\"event\"";
    const std::string cached = "SELECT \"at\"::text, \"what\"::text FROM sandboxctl_golden.g1";
    EXPECT_EQ(unkeyed_reload_count(t, g1, true), "SELECT count(*) FROM (" + mine + " EXCEPT ALL " + cached + ") d");
    EXPECT_EQ(unkeyed_reload_count(t, g1, false), "SELECT count(*) FROM (" + cached + " EXCEPT ALL " + mine + ") d");
}

}  // namespace
}  // namespace sandboxctl::snapshot
