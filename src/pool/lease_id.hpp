#pragma once
// A lease id: "K-HEX", the member's number and 128 random bits. The member
// keeps only its SHA-256, so that what a member's login can read does not
// release the lease.
#include <string>

namespace sandboxctl::pool {

std::string new_lease_id(int member_number);
// The member number of a lease id; throws a usage error for text that is
// not one.
int member_of_lease(const std::string& lease_id);
std::string lease_hash(const std::string& lease_id);

}  // namespace sandboxctl::pool
