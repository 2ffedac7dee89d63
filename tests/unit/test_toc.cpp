#include <gtest/gtest.h>

#include "core/error.hpp"
#include "schema/toc.hpp"

using sandboxctl::schema::parse_toc;
using sandboxctl::schema::render_toc;
using sandboxctl::schema::TocNames;

namespace {

const TocNames names{{"pg_database_owner", "sbx_provisioner", "sbx_app", "app"},
                     {"Accounting Dept", "public", "billing"}};

}  // namespace

TEST(Toc, ParsesOrdinaryEntries) {
    auto entries = parse_toc("216; 1259 16392 TABLE public t1 sbx_app\n", names);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].dump_id, 216);
    EXPECT_EQ(entries[0].catalog_oid, 1259u);
    EXPECT_EQ(entries[0].object_oid, 16392u);
    EXPECT_EQ(entries[0].desc, "TABLE");
    EXPECT_EQ(entries[0].schema, "public");
    EXPECT_EQ(entries[0].tag, "t1");
    EXPECT_EQ(entries[0].owner, "sbx_app");
}

TEST(Toc, ParsesMultiWordDescriptionsAndNamesWithSpaces) {
    auto entries = parse_toc("3410; 0 0 SEQUENCE OWNED BY public t1_id_seq sbx_app\n"
                             "217; 1259 16407 VIEW public my view sbx_app\n"
                             "3300; 2606 16500 FK CONSTRAINT Accounting Dept Ledger \"Main\" fk_x sbx_app\n"
                             "3407; 0 0 COMMENT - SCHEMA public pg_database_owner\n",
                             names);
    ASSERT_EQ(entries.size(), 4u);
    EXPECT_EQ(entries[0].desc, "SEQUENCE OWNED BY");
    EXPECT_EQ(entries[0].tag, "t1_id_seq");
    EXPECT_EQ(entries[1].tag, "my view");
    EXPECT_EQ(entries[2].desc, "FK CONSTRAINT");
    EXPECT_EQ(entries[2].schema, "Accounting Dept");
    EXPECT_EQ(entries[2].tag, "Ledger \"Main\" fk_x");
    EXPECT_EQ(entries[3].schema, "-");
    EXPECT_EQ(entries[3].tag, "SCHEMA public");
    EXPECT_EQ(entries[3].owner, "pg_database_owner");
}

TEST(Toc, ExtensionEntriesHaveNoOwner) {
    auto entries = parse_toc("2; 3079 16411 EXTENSION - pg_trgm \n", names);
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].desc, "EXTENSION");
    EXPECT_EQ(entries[0].tag, "pg_trgm");
    EXPECT_EQ(entries[0].owner, "");
}

TEST(Toc, SkipsCommentsAndRendersExclusionsAsComments) {
    auto entries = parse_toc(";\n; Archive created\n\n218; 1255 16401 FUNCTION public f() sbx_app\n"
                             "219; 1255 16402 FUNCTION public user_lookup(text) sbx_provisioner\n",
                             names);
    ASSERT_EQ(entries.size(), 2u);
    entries[1].keep = false;
    EXPECT_EQ(render_toc(entries),
              "218; 1255 16401 FUNCTION public f() sbx_app\n;219; 1255 16402 FUNCTION public user_lookup(text) "
              "sbx_provisioner\n");
}

TEST(Toc, RejectsMalformedLines) {
    EXPECT_THROW(parse_toc("not a toc line\n", names), sandboxctl::Error);
    EXPECT_THROW(parse_toc("12; x y TABLE public t o\n", names), sandboxctl::Error);
}
