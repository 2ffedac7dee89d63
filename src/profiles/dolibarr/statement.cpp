#include "profiles/dolibarr/statement.hpp"

#include <fmt/format.h>

#include <cstdlib>

namespace sandboxctl::dolibarr {

pg::Result exec_without_detail(pg::Connection& target, std::string_view sql, const pg::Params& params,
                               std::string_view what) {
    try {
        return target.exec(sql, params);
    } catch (const pg::PgError& error) {
        throw Error(error.code(), fmt::format("could not {} on {}: {}", what, target.label(), error.server().primary),
                    error.hint());
    }
}

}  // namespace sandboxctl::dolibarr
