// Issue 22: lease ids name their member and carry 128 random bits; anything
// else is refused without being echoed whole.
#include <gtest/gtest.h>

#include <set>

#include "core/error.hpp"
#include "pool/lease_id.hpp"

namespace sandboxctl::pool {
namespace {

TEST(LeaseId, NamesItsMemberAndIsNeverTheSameTwice) {
    std::set<std::string> ids;
    for (int i = 0; i < 100; ++i) {
        auto id = new_lease_id(7);
        EXPECT_EQ(member_of_lease(id), 7);
        EXPECT_EQ(id.size(), 2u + 32u);
        ids.insert(id);
    }
    EXPECT_EQ(ids.size(), 100u);
    EXPECT_EQ(lease_hash("1-00").size(), 64u);
    EXPECT_NE(lease_hash("1-00"), lease_hash("1-01"));
}

TEST(LeaseId, TextThatIsNotALeaseIsAUsageError) {
    std::string hex(32, 'a');
    for (const std::string& text :
         {std::string(""), std::string("abc"), "0-" + hex, "-" + hex, "x-" + hex, "1-" + hex.substr(1),
          "1-" + std::string(32, 'G'), "1 -" + hex, "99999999999999999999-" + hex, "1-" + hex + "0"}) {
        try {
            member_of_lease(text);
            ADD_FAILURE() << "accepted \"" << text << "\"";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), ExitCode::usage) << text;
            if (text.size() > 12) {
                EXPECT_EQ(std::string(e.what()).find(text), std::string::npos);
            }
        }
    }
}

}  // namespace
}  // namespace sandboxctl::pool
