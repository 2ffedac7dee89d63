// The copy plan decided from a hand-built source catalog: what is copied,
// what is left out and why, without a server.
#include <gtest/gtest.h>

#include <algorithm>

#include "config/settings.hpp"
#include "core/error.hpp"
#include "plan/copy_plan.hpp"
#include "plan/session_setup.hpp"

namespace sandboxctl::plan {
namespace {

catalog::Relation relation(unsigned oid, std::string schema, std::string name, std::string owner, char relkind = 'r') {
    catalog::Relation r;
    r.oid = oid;
    r.schema = std::move(schema);
    r.name = std::move(name);
    r.owner = std::move(owner);
    r.relkind = relkind;
    r.readable = true;
    return r;
}

catalog::ForeignKey foreign_key(std::string table, std::string name, unsigned table_oid, unsigned referenced_oid) {
    return {"public", std::move(table), std::move(name), table_oid, referenced_oid};
}

// A shop database owned by "app", with one table of another role, a
// partitioned table, two dependent materialized views, a table under
// row-level security and foreign keys between them.
catalog::SourceCatalog shop_catalog() {
    catalog::SourceCatalog c;
    c.database = "shop";
    c.database_owner = "app";
    c.session_user = "dump";
    c.role_names = {"app", "analyst", "dump", "postgres", "pg_database_owner"};
    c.schema_names = {"public", "reporting"};
    auto add = [&](catalog::Relation r, long long bytes = 0) {
        r.bytes = bytes;
        c.relations.push_back(std::move(r));
    };
    add(relation(100, "public", "customer", "app"), 1000);
    add(relation(101, "public", "orders", "app"), 2000);
    add(relation(102, "public", "audit_log", "app"), 50000);
    add(relation(103, "public", "session_data", "app"), 70000);
    add(relation(104, "reporting", "stats", "analyst"), 300);
    add(relation(105, "public", "customer_id_seq", "app", 'S'));
    add(relation(106, "public", "measurement", "app", 'p'));
    auto partition = relation(107, "public", "measurement_2024", "app");
    partition.is_partition = true;
    add(partition, 500);
    add(relation(108, "public", "mv_totals", "app", 'm'));
    add(relation(109, "public", "mv_base", "app", 'm'));
    auto empty_view = relation(110, "public", "mv_empty", "app", 'm');
    empty_view.populated = false;
    add(empty_view);
    auto guarded = relation(111, "public", "secret_note", "app");
    guarded.row_security = guarded.force_row_security = guarded.row_security_applies = true;
    add(guarded, 40);
    add(relation(112, "public", "v_customer", "app", 'v'));
    add(relation(113, "public", "order_line", "app"), 3000);

    c.foreign_keys = {
        foreign_key("orders", "orders_customer_fk", 101, 100),         // both copied
        foreign_key("order_line", "order_line_audit_fk", 113, 102),    // into an excluded table
        foreign_key("orders", "orders_session_fk", 101, 103),          // into a data-excluded table
        foreign_key("audit_log", "audit_log_customer_fk", 102, 100),   // of an excluded table
        foreign_key("session_data", "session_customer_fk", 103, 100),  // of a data-excluded table
    };
    c.matview_dependencies = {{108, 109}};  // mv_totals reads mv_base
    c.objects = {
        {"function", "public.total(integer)", "app"}, {"type", "public.mood", "analyst"},
        {"extension", "pgcrypto", "postgres"},        {"schema", "public", "postgres"},
        {"schema", "reporting", "analyst"},           {"schema", "app_private", "pg_database_owner"},
    };
    return c;
}

PlanOptions options(std::vector<std::string> exclude, std::vector<std::string> exclude_data) {
    PlanOptions o;
    o.source_role = "app";
    for (const auto& p : exclude) o.exclude.emplace_back(p, "--exclude");
    for (const auto& p : exclude_data) o.exclude_data.emplace_back(p, "--exclude-data");
    return o;
}

std::vector<std::string> names(const std::vector<const catalog::Relation*>& relations) {
    std::vector<std::string> out;
    for (const auto* r : relations) out.push_back(r->display());
    return out;
}

std::string describe(const Exclusion& e) { return e.kind + " " + e.name + " [" + e.owner + "]: " + e.reason; }

std::vector<std::string> describe(const std::vector<Exclusion>& exclusions) {
    std::vector<std::string> out;
    for (const auto& e : exclusions) out.push_back(describe(e));
    return out;
}

using Names = std::vector<std::string>;

TEST(CopyPlan, LeavesOutObjectsOfOtherRolesWithTheReason) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({}, {}));
    EXPECT_EQ(plan.source_role, "app");
    EXPECT_EQ(describe(plan.excluded),
              (Names{"table reporting.stats [analyst]: owned by analyst, not app",
                     "type public.mood [analyst]: owned by analyst, not app",
                     "extension pgcrypto [postgres]: owned by postgres, not app; restored as CREATE EXTENSION IF NOT "
                     "EXISTS",
                     "schema reporting [analyst]: owned by analyst, not app"}));
    EXPECT_EQ(plan.dump_exclusions, Names{"--exclude-table=\"reporting\".\"stats\""});
    EXPECT_EQ(plan.excluded_oids, (std::set<unsigned>{104}));
    EXPECT_TRUE(std::find(plan.relations.begin(), plan.relations.end(), catalog.find(104)) == plan.relations.end());
}

TEST(CopyPlan, PgDatabaseOwnerStandsForTheDatabaseOwner) {
    auto catalog = shop_catalog();
    auto as_app = make_plan(catalog, options({}, {}));
    for (const auto& e : as_app.excluded) EXPECT_NE(e.name, "app_private") << describe(e);

    // Another source role: what the database owner owns is left out (the
    // public schema excepted, whoever owns it).
    auto o = options({}, {});
    o.source_role = "analyst";
    auto as_analyst = make_plan(catalog, o);
    auto excluded = describe(as_analyst.excluded);
    EXPECT_NE(std::find(excluded.begin(), excluded.end(),
                        "schema app_private [pg_database_owner]: owned by pg_database_owner, not analyst"),
              excluded.end());
    EXPECT_EQ(std::find(excluded.begin(), excluded.end(), "schema public [postgres]: owned by postgres, not analyst"),
              excluded.end());
    EXPECT_EQ(names(as_analyst.relations), Names{"reporting.stats"});
}

TEST(CopyPlan, CopiesSchemaDataAndSequencesOfTheSourceRole) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({}, {}));
    EXPECT_EQ(
        names(plan.relations),
        (Names{"public.customer", "public.orders", "public.audit_log", "public.session_data", "public.customer_id_seq",
               "public.measurement", "public.measurement_2024", "public.mv_totals", "public.mv_base", "public.mv_empty",
               "public.secret_note", "public.v_customer", "public.order_line"}));
    // Rows: plain tables and partitions; not the partitioned parent, views, or sequences.
    EXPECT_EQ(names(plan.data), (Names{"public.customer", "public.orders", "public.audit_log", "public.session_data",
                                       "public.measurement_2024", "public.secret_note", "public.order_line"}));
    EXPECT_EQ(plan.data_bytes, 1000 + 2000 + 50000 + 70000 + 500 + 40 + 3000);
    EXPECT_EQ(names(plan.sequences), Names{"public.customer_id_seq"});
    EXPECT_TRUE(plan.data_excluded.empty());
    EXPECT_TRUE(plan.unmatched_patterns.empty());
    EXPECT_TRUE(plan.keys_into_data_excluded.empty());
}

TEST(CopyPlan, RefreshesPopulatedMaterializedViewsAfterThoseTheyRead) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({}, {}));
    // mv_totals comes first in the catalog but reads mv_base; mv_empty (WITH NO DATA) stays empty.
    EXPECT_EQ(names(plan.matviews), (Names{"public.mv_base", "public.mv_totals"}));

    // A cycle does not loop; a chain of three is ordered whatever the catalog order.
    catalog.relations.push_back(relation(120, "public", "mv_top", "app", 'm'));
    catalog.matview_dependencies = {{120, 108}, {108, 109}, {109, 120}};
    auto cyclic = names(make_plan(catalog, options({}, {})).matviews);
    std::sort(cyclic.begin(), cyclic.end());
    EXPECT_EQ(cyclic, (Names{"public.mv_base", "public.mv_top", "public.mv_totals"}));
    catalog.matview_dependencies = {{108, 109}, {109, 120}};
    auto chained = make_plan(catalog, options({}, {}));
    EXPECT_EQ(names(chained.matviews), (Names{"public.mv_top", "public.mv_base", "public.mv_totals"}));
    catalog.matview_dependencies = {{120, 108}};
    auto top_last = make_plan(catalog, options({}, {}));
    EXPECT_EQ(names(top_last.matviews), (Names{"public.mv_totals", "public.mv_base", "public.mv_top"}));
}

TEST(CopyPlan, ExcludePatternsLeaveRelationsOutEntirely) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({"public.audit*", "*_seq"}, {}));
    auto excluded = describe(plan.excluded);
    ASSERT_GE(excluded.size(), 3u);
    EXPECT_EQ(excluded[0], "table public.audit_log [app]: matched --exclude public.audit*");
    EXPECT_EQ(excluded[1], "table reporting.stats [analyst]: owned by analyst, not app");
    EXPECT_EQ(excluded[2], "sequence public.customer_id_seq [app]: matched --exclude *_seq");
    EXPECT_EQ(plan.dump_exclusions,
              (Names{"--exclude-table=\"public\".\"audit_log\"", "--exclude-table=\"reporting\".\"stats\"",
                     "--exclude-table=\"public\".\"customer_id_seq\""}));
    EXPECT_EQ(plan.excluded_oids, (std::set<unsigned>{102, 104, 105}));
    EXPECT_TRUE(plan.sequences.empty());
    auto data = names(plan.data);
    EXPECT_EQ(std::find(data.begin(), data.end(), "public.audit_log"), data.end());
}

TEST(CopyPlan, OwnerTakesPrecedenceOverAnExcludePattern) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({"reporting.*"}, {}));
    EXPECT_EQ(describe(plan.excluded[0]), "table reporting.stats [analyst]: owned by analyst, not app");
    EXPECT_TRUE(plan.unmatched_patterns.empty());  // it matched, even if the owner decided
}

TEST(CopyPlan, ExcludeDataKeepsTheSchemaAndLeavesTheRowsOut) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({}, {"*session*", "public.measurement*"}));
    EXPECT_EQ(describe(plan.data_excluded),
              (Names{"table public.session_data [app]: matched --exclude-data *session*",
                     "partition public.measurement_2024 [app]: matched --exclude-data public.measurement*"}));
    auto relations = names(plan.relations);
    EXPECT_NE(std::find(relations.begin(), relations.end(), "public.session_data"), relations.end());
    EXPECT_NE(std::find(relations.begin(), relations.end(), "public.measurement"), relations.end());
    EXPECT_EQ(names(plan.data), (Names{"public.customer", "public.orders", "public.audit_log", "public.secret_note",
                                       "public.order_line"}));
    EXPECT_EQ(plan.data_bytes, 1000 + 2000 + 50000 + 40 + 3000);
    // Schema-only tables are not passed to pg_dump as exclusions.
    EXPECT_EQ(plan.dump_exclusions, Names{"--exclude-table=\"reporting\".\"stats\""});
}

TEST(CopyPlan, RecordsForeignKeysOfCopiedTablesIntoDataExcludedTables) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({}, {"public.session_data"}));
    ASSERT_EQ(plan.keys_into_data_excluded.size(), 1u);
    EXPECT_EQ(plan.keys_into_data_excluded[0]->name, "orders_session_fk");
    EXPECT_EQ(plan.keys_into_data_excluded[0]->table, "orders");

    // The referencing table's rows left out too: nothing can dangle.
    auto both = make_plan(catalog, options({}, {"public.session_data", "public.orders"}));
    EXPECT_TRUE(both.keys_into_data_excluded.empty());
}

TEST(CopyPlan, TablesUnderRowLevelSecurityAreFlagged) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({}, {}));
    EXPECT_EQ(names(plan.row_security_blocked), Names{"public.secret_note"});
    try {
        require_full_visibility(plan);
        ADD_FAILURE() << "a table under row-level security was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::refused);
        EXPECT_NE(std::string(e.what()).find("refusing to copy public.secret_note: row-level security"),
                  std::string::npos)
            << e.what();
    }
    // Its rows left out: nothing to hide.
    auto skipped = make_plan(catalog, options({}, {"secret_note"}));
    EXPECT_TRUE(skipped.row_security_blocked.empty());
    EXPECT_NO_THROW(require_full_visibility(skipped));
}

TEST(CopyPlan, PatternsThatMatchNothingAreReported) {
    auto catalog = shop_catalog();
    auto o = options({"public.audit_log", "public.llx_usr", "legacy_*"}, {"nosuch.*"});
    o.optional_patterns = {"legacy_*"};
    auto plan = make_plan(catalog, o);
    ASSERT_EQ(plan.unmatched_patterns.size(), 3u);
    EXPECT_EQ(plan.unmatched_patterns[0].option, "--exclude");
    EXPECT_EQ(plan.unmatched_patterns[0].pattern, "public.llx_usr");
    EXPECT_FALSE(plan.unmatched_patterns[0].optional);
    EXPECT_EQ(plan.unmatched_patterns[1].pattern, "legacy_*");
    EXPECT_TRUE(plan.unmatched_patterns[1].optional);
    EXPECT_EQ(plan.unmatched_patterns[2].option, "--exclude-data");
    EXPECT_EQ(plan.unmatched_patterns[2].pattern, "nosuch.*");
    EXPECT_EQ(unmatched_pattern_problems(plan),
              (Names{"--exclude public.llx_usr matches no relation in the source database",
                     "--exclude-data nosuch.* matches no relation in the source database"}));
}

TEST(CopyPlan, OptionalPrefixFromTheSettings) {
    auto catalog = shop_catalog();
    config::Settings settings;
    settings.exclude = {"optional:legacy_*", "public.audit_log"};
    settings.exclude_data = {"optional:tmp_*"};
    auto plan = make_plan_for(catalog, "app", settings);
    ASSERT_EQ(plan.unmatched_patterns.size(), 2u);
    EXPECT_EQ(plan.unmatched_patterns[0].pattern, "legacy_*");
    EXPECT_TRUE(plan.unmatched_patterns[0].optional);
    EXPECT_EQ(plan.unmatched_patterns[1].pattern, "tmp_*");
    EXPECT_TRUE(plan.unmatched_patterns[1].optional);
    EXPECT_NO_THROW(require_patterns_matched(plan));
    EXPECT_EQ(describe(plan.excluded[0]), "table public.audit_log [app]: matched --exclude public.audit_log");

    settings.exclude = {"public.llx_usr"};
    auto typo = make_plan_for(catalog, "app", settings);
    try {
        require_patterns_matched(typo);
        ADD_FAILURE() << "an unmatched pattern was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), ExitCode::usage);
        EXPECT_EQ(std::string(e.what()), "--exclude public.llx_usr matches no relation in the source database");
    }
    EXPECT_THROW(make_plan_for(catalog, "nobody", settings), Error);
}

schema::TocEntry toc_entry(std::string desc, std::string schema, std::string tag, std::string owner) {
    schema::TocEntry e;
    e.desc = std::move(desc);
    e.schema = std::move(schema);
    e.tag = std::move(tag);
    e.owner = std::move(owner);
    return e;
}

TEST(FilterToc, DropsForeignKeysIntoExcludedTablesAndForeignOwners) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({"public.audit_log"}, {"public.session_data"}));
    auto excluded_before = plan.excluded.size();
    std::vector<schema::TocEntry> entries = {
        toc_entry("TABLE", "public", "customer", "app"),
        toc_entry("TABLE", "reporting", "stats", "analyst"),
        toc_entry("EXTENSION", "-", "pgcrypto", "postgres"),
        toc_entry("FK CONSTRAINT", "public", "order_line order_line_audit_fk", "app"),
        toc_entry("FK CONSTRAINT", "public", "orders orders_customer_fk", "app"),
        toc_entry("FK CONSTRAINT", "public", "orders orders_session_fk", "app"),
        toc_entry("FUNCTION", "public", "pgp_sym_encrypt(text, text)", ""),
        toc_entry("SCHEMA", "-", "app_private", "pg_database_owner"),
    };
    filter_toc(entries, catalog, plan);

    auto state = [](const schema::TocEntry& e) { return e.keep ? std::string("kept") : "left out: " + e.reason; };
    EXPECT_EQ(state(entries[0]), "kept");
    EXPECT_EQ(state(entries[1]), "left out: owned by analyst, not app");
    EXPECT_EQ(state(entries[2]), "kept");  // CREATE EXTENSION IF NOT EXISTS
    EXPECT_EQ(state(entries[3]), "left out: references an excluded table");
    EXPECT_EQ(state(entries[4]), "kept");
    EXPECT_EQ(state(entries[5]), "kept");  // into a data-excluded table: checked against the rows instead
    EXPECT_EQ(state(entries[6]), "left out: belongs to an extension");
    EXPECT_EQ(state(entries[7]), "kept");

    // The dropped key is reported once; keys of the excluded table itself are not.
    ASSERT_EQ(plan.excluded.size(), excluded_before + 1);
    EXPECT_EQ(describe(plan.excluded.back()),
              "foreign key public.order_line.order_line_audit_fk []: references excluded table public.audit_log");
}

TEST(FilterToc, KeysOfOtherSchemasWithTheSameTagAreKept) {
    auto catalog = shop_catalog();
    auto plan = make_plan(catalog, options({"public.audit_log"}, {}));
    std::vector<schema::TocEntry> entries = {
        toc_entry("FK CONSTRAINT", "archive", "order_line order_line_audit_fk", "app"),
        toc_entry("FK CONSTRAINT", "public", "order_line order_line_audit_fk", "app"),
    };
    filter_toc(entries, catalog, plan);
    EXPECT_TRUE(entries[0].keep);
    EXPECT_FALSE(entries[1].keep);
}

}  // namespace
}  // namespace sandboxctl::plan
