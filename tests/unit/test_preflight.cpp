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
