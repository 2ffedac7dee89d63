// Issue 9: the lock-budget WARN fired on every default Dolibarr refresh
// (7,880 needed of 7,808 slots), though such refreshes succeed.
#include <gtest/gtest.h>

#include "safety/preflight.hpp"

using sandboxctl::safety::judge_lock_budget;
using sandboxctl::safety::Status;

TEST(LockBudget, IsProportionate) {
    auto dolibarr = judge_lock_budget(7880, 7808);
    EXPECT_EQ(dolibarr.status, Status::pass) << dolibarr.reason;
    EXPECT_NE(dolibarr.reason.find("the excess fits in the server's spare shared memory"), std::string::npos);
    EXPECT_EQ(judge_lock_budget(11400, 7808).status, Status::pass);  // measured to succeed
    EXPECT_EQ(judge_lock_budget(12000, 7808).status, Status::warn);
    EXPECT_EQ(judge_lock_budget(15617, 7808).status, Status::fail);
    EXPECT_EQ(judge_lock_budget(100, 7808).reason, "about 100 locks needed, 7808 slots in the shared lock table");
}

// Issue 12: the supported server range, and what doctor says outside it.
TEST(ServerVersions, SupportedRangeAndBeyond) {
    using sandboxctl::safety::judge_server_versions;
    EXPECT_EQ(judge_server_versions(15, 17).status, Status::pass);
    EXPECT_EQ(judge_server_versions(17, 17).reason, "source 17, sandbox 17");
    EXPECT_EQ(judge_server_versions(14, 15).status, Status::warn);
    EXPECT_EQ(judge_server_versions(14, 15).reason,
              "the source runs PostgreSQL 14, supported but not tested (tested: 15 to 18)");
    EXPECT_EQ(judge_server_versions(18, 18).status, Status::pass);
    EXPECT_EQ(judge_server_versions(15, 18).status, Status::pass);
    EXPECT_EQ(judge_server_versions(19, 19).status, Status::warn);
    EXPECT_EQ(judge_server_versions(15, 19).reason,
              "the sandbox runs PostgreSQL 19, newer than sandboxctl supports (14 to 18): untested");
    auto old = judge_server_versions(13, 15);
    EXPECT_EQ(old.status, Status::fail);
    EXPECT_EQ(old.reason, "the source runs PostgreSQL 13, older than sandboxctl supports (14 to 18): it lacks catalog "
                          "columns and settings sandboxctl uses");
    auto downgrade = judge_server_versions(17, 15);
    EXPECT_EQ(downgrade.status, Status::warn);
    EXPECT_EQ(downgrade.reason, "the sandbox's PostgreSQL 15 is older than the source's 17: its schema may not load; "
                                "run the sandbox on PostgreSQL 17 or newer");
}
