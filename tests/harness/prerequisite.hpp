#pragma once
// The one rule for what a test needs and may not find (a PostgreSQL server,
// ../shared, php, sshd, a kubectl new enough, root): on a user's machine the
// test is skipped and says why; under CI=true, where scripts/setup.sh has
// installed everything and ../shared is present, the same test fails, so a
// CI run can never pass by skipping (docs/tests.md#prerequisites).
//
// Header-only: the unit suite, which links no harness, uses it too.
#include <gtest/gtest.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <string>

namespace sandboxctl::test {

// CI=true, as CI services set it; any other value but "", "0", "false" and
// "no" (in any case) too: a CI that spells it otherwise must not pass by
// skipping.
inline bool prerequisites_required() {
    const char* ci = std::getenv("CI");
    if (ci == nullptr) return false;
    std::string value(ci);
    for (char& c : value) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return !value.empty() && value != "0" && value != "false" && value != "no";
}

// ../shared beside the project: the Dolibarr fixture and application.
// SANDBOXCTL_SHARED_DIR points elsewhere (tests/CMakeLists.txt uses it to
// show that a missing one fails under CI=true).
inline std::filesystem::path shared_dir() {
    const char* dir = std::getenv("SANDBOXCTL_SHARED_DIR");
    return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::path(SANDBOXCTL_SHARED_DIR);
}

}  // namespace sandboxctl::test

// Ends the test, or its SetUp, as skipped (failed under CI=true), with what is
// streamed into it as the reason:
//   if (!php) MISSING_PREREQUISITE() << "php is not installed (scripts/setup.sh installs it)";
// gtest's own GTEST_SKIP and FAIL are built the same way; one macro keeps the
// choice between them in one place. Like them it returns from the function
// it is in: use it in a test body or SetUp, never in a helper (the test
// would go on) nor in SetUpTestSuite (gtest 1.12 marks the suite's tests
// skipped, not failed, even under CI: check there, and call it from SetUp).
#define MISSING_PREREQUISITE()                                                                         \
    return ::testing::internal::AssertHelper(                                                          \
               ::sandboxctl::test::prerequisites_required() ? ::testing::TestPartResult::kFatalFailure \
                                                            : ::testing::TestPartResult::kSkip,        \
               __FILE__, __LINE__,                                                                     \
               ::sandboxctl::test::prerequisites_required()                                            \
                   ? "MISSING PREREQUISITE (a failure under CI=true): "                                \
                   : "SKIPPED (missing prerequisite; under CI=true this fails): ") = ::testing::Message()
