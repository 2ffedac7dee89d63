#include <gtest/gtest.h>

#include "catalog/name_pattern.hpp"
#include "core/error.hpp"

using sandboxctl::catalog::NamePattern;

TEST(NamePattern, UnqualifiedMatchesAnySchema) {
    NamePattern p("llx_event*", "--exclude");
    EXPECT_TRUE(p.matches("public", "llx_events"));
    EXPECT_TRUE(p.matches("other", "llx_event"));
    EXPECT_FALSE(p.matches("public", "xllx_event"));
}

TEST(NamePattern, QualifiedAndCaseFolding) {
    NamePattern p("Billing.Inv?", "--exclude");
    EXPECT_TRUE(p.matches("billing", "inv1"));
    EXPECT_FALSE(p.matches("Billing", "inv1"));
    EXPECT_FALSE(p.matches("billing", "inv12"));
}

TEST(NamePattern, QuotesMakeTextLiteral) {
    NamePattern p("\"Accounting Dept\".\"Ledger \"\"Main\"\"\"", "--exclude");
    EXPECT_TRUE(p.matches("Accounting Dept", "Ledger \"Main\""));
    NamePattern star("\"a*b\"", "--exclude");
    EXPECT_TRUE(star.matches("s", "a*b"));
    EXPECT_FALSE(star.matches("s", "axxb"));
}

TEST(NamePattern, RegexCharactersAreNotInterpreted) {
    NamePattern p("a+b(c)|d", "--exclude");
    EXPECT_TRUE(p.matches("s", "a+b(c)|d"));
    EXPECT_FALSE(p.matches("s", "aab"));
}

TEST(NamePattern, RejectsMalformedPatterns) {
    EXPECT_THROW(NamePattern("\"unterminated", "--exclude"), sandboxctl::Error);
    EXPECT_THROW(NamePattern("a.b.c", "--exclude"), sandboxctl::Error);
    EXPECT_THROW(NamePattern("schema.", "--exclude"), sandboxctl::Error);
}
