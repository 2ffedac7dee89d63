#pragma once
// The provisioning steps as a psql script for an administrator to review and
// run as a superuser (psql -f FILE): \connect switches to prod for its
// grants, and \if asks each step's question before creating anything, so
// the script can run again and says what it left alone.
#include <string>
#include <vector>

#include "provision/provision_plan.hpp"

namespace sandboxctl::provision {

std::string psql_script(const std::vector<Step>& steps, const std::vector<std::string>& pool_targets);

}  // namespace sandboxctl::provision
