// Issue 20: every Dolibarr channel is declared once (profiles/dolibarr/
// channel_list.cpp); the firewall, the checks and the docs table come from
// the declarations, and CI fails when docs/dolibarr.md's table differs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include "profiles/dolibarr/channel_list.hpp"

namespace sandboxctl::dolibarr {
namespace {

std::string read_docs() {
    std::ifstream in(std::filesystem::path(SANDBOXCTL_TEST_SOURCE_DIR) / "../docs/dolibarr.md");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The table under "| channel | switched off by | live when |", to its first
// line that is not a table row.
std::string docs_table(const std::string& docs) {
    auto start = docs.find("| channel | switched off by | live when |");
    if (start == std::string::npos) return "";
    std::string table;
    std::istringstream lines(docs.substr(start));
    for (std::string line; std::getline(lines, line) && line.starts_with("|");) table += line + "\n";
    return table;
}

TEST(DolibarrChannels, TheDocsTableIsTheDeclarations) {
    auto table = docs_table(read_docs());
    ASSERT_FALSE(table.empty()) << "docs/dolibarr.md has no \"| channel | switched off by | live when |\" table";
    EXPECT_EQ(table, channel_table()) << "docs/dolibarr.md's channel table differs from the declarations in "
                                         "src/profiles/dolibarr/channel_list.cpp; the table they make:\n"
                                      << channel_table();
}

TEST(DolibarrChannels, EachIsDeclaredOnceWithBothSidesAndItsWords) {
    std::set<std::string> names;
    for (const auto& c : dolibarr_channels()) {
        EXPECT_TRUE(names.insert(c.name).second) << c.name << " is declared twice";
        EXPECT_NE(c.off, nullptr) << c.name;
        EXPECT_NE(c.live, nullptr) << c.name;
        EXPECT_GT(std::string(c.switched_off_by).size(), 5u) << c.name;
        EXPECT_GT(std::string(c.live_when).size(), 5u) << c.name;
        EXPECT_EQ(std::string(c.switched_off_by).find('\n'), std::string::npos) << c.name;
    }
    EXPECT_GE(names.size(), 25u);
}

}  // namespace
}  // namespace sandboxctl::dolibarr
