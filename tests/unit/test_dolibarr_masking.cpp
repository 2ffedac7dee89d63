// The Dolibarr masking policy and its documentation are one list: every
// column docs/dolibarr.md names is the policy's, with the same transformer,
// and every column of the policy is in the docs.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "profiles/dolibarr/masking_policy.hpp"

namespace sandboxctl::dolibarr {
namespace {

using Columns = std::map<std::string, std::set<std::pair<std::string, std::string>>>;

// "| `llx_user` (...) | email: `email`, `personal_email`; phone: ... | `zip`, ... |"
Columns documented() {
    std::ifstream in(std::string(SANDBOXCTL_TEST_SOURCE_DIR) + "/../docs/dolibarr.md");
    std::stringstream text;
    text << in.rdbuf();
    Columns out;
    std::regex row(R"(^\| `(llx_\w+)` \([^|]*\) \| ([^|]*) \| ([^|]*) \|$)");
    std::regex name("`(\\w+)`");
    std::string line;
    while (std::getline(text, line)) {
        std::smatch m;
        if (!std::regex_match(line, m, row)) continue;
        auto& columns = out["public." + m[1].str()];
        std::stringstream groups(m[2].str());
        for (std::string group; std::getline(groups, group, ';');) {
            auto colon = group.find(": ");
            std::string transformer = group.substr(group.find_first_not_of(' '), colon - group.find_first_not_of(' '));
            std::string names = group.substr(colon + 2);
            for (std::sregex_iterator it(names.begin(), names.end(), name), end; it != end; ++it)
                columns.insert({(*it)[1].str(), transformer});
        }
        std::string kept = m[3].str();
        for (std::sregex_iterator it(kept.begin(), kept.end(), name), end; it != end; ++it)
            columns.insert({(*it)[1].str(), "keep"});
    }
    return out;
}

TEST(DolibarrMasking, TheDocsListEveryColumnThePolicyCovers) {
    Columns policy;
    for (const auto& rule : masking_rules("personal", {"ai_agent"})) {
        for (const auto& column : rule.columns) policy[rule.table].insert(column);
        EXPECT_TRUE(rule.optional) << rule.table;
        if (rule.table == "public.llx_user") {
            ASSERT_TRUE(rule.except.has_value());
            EXPECT_EQ(rule.except->column, "login");
            EXPECT_EQ(rule.except->values, std::set<std::string>{"ai_agent"});
        } else {
            EXPECT_FALSE(rule.except.has_value()) << rule.table;
        }
    }
    ASSERT_EQ(policy.size(), 9u);
    EXPECT_EQ(documented(), policy);
    EXPECT_TRUE(masking_rules("", {}).empty());
}

}  // namespace
}  // namespace sandboxctl::dolibarr
