#pragma once
// Statements that carry secrets in their parameters or in the rows they
// touch. PostgreSQL's DETAIL of a failed write can quote the row ("Failing row
// contains (...)", "Key (api_key)=(...) already exists"), so these errors keep
// the server's primary message and drop the detail.
#include <string_view>

#include "pg/connection.hpp"

namespace sandboxctl::dolibarr {

// Runs `sql` with `params`; on failure throws "could not <what>: <primary message>"
// with the server's hint, never its detail or context.
pg::Result exec_without_detail(pg::Connection& target, std::string_view sql, const pg::Params& params,
                               std::string_view what);

}  // namespace sandboxctl::dolibarr
