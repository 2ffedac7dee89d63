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

long long affected_rows(const pg::Result& result) {
    // PQcmdTuples takes a non-const pointer but only reads the result.
    const char* text =
        PQcmdTuples(const_cast<PGresult*>(result.raw()));  // NOLINT(cppcoreguidelines-pro-type-const-cast)
    return text[0] == '\0' ? 0 : std::strtoll(text, nullptr, 10);
}

}  // namespace sandboxctl::dolibarr
