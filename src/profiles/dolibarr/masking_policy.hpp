#pragma once
// [dolibarr] masking = "personal": the personal data of Dolibarr's core
// tables, as masking rules (masking/policy.hpp). Each table names what it
// masks and, marked keep, every other text column Dolibarr 22 and 23 give it, so
// a column a later Dolibarr adds is listed as uncovered (and refused under
// [masking] strict). The rows of kept users (keep_users) are left as they
// are: they are the sandbox's own. docs/dolibarr.md lists every column.
#include <string>
#include <vector>

#include "masking/policy.hpp"

namespace sandboxctl::dolibarr {

// The policy names ("personal"), for errors.
std::vector<std::string> masking_policies();

// The rules of `policy` (one of masking_policies()); `keep_users` are the
// llx_user logins whose rows are not masked.
std::vector<masking::Rule> masking_rules(const std::string& policy, const std::vector<std::string>& keep_users);

}  // namespace sandboxctl::dolibarr
