#include "snapshot/sandbox_tables.hpp"

#include <fmt/format.h>

#include "core/own_schemas.hpp"

namespace sandboxctl::snapshot {

plan::CopyPlan sandbox_plan(const catalog::SourceCatalog& catalog, const std::string& role) {
    plan::PlanOptions options;
    options.source_role = role;
    options.exclude.emplace_back(std::string(own_schemas::tracking) + ".*", "internal");
    options.exclude.emplace_back(std::string(own_schemas::cache) + ".*", "internal");
    options.exclude.emplace_back(std::string(own_schemas::pool) + ".*", "internal");
    return plan::make_plan(catalog, options);
}

std::vector<const catalog::Relation*> trackable(const plan::CopyPlan& plan) {
    std::vector<const catalog::Relation*> out;
    for (const auto* r : plan.relations) {
        if (r->relkind == 'r' || r->relkind == 'p') out.push_back(r);
    }
    return out;
}

void begin_as(pg::Connection& conn, const std::string& role, const char* begin,
              std::chrono::milliseconds lock_timeout) {
    conn.exec(begin);
    conn.exec(fmt::format("SET LOCAL lock_timeout = {}", lock_timeout.count()));
    conn.exec("SET LOCAL ROLE " + conn.quote_identifier(role));
}

}  // namespace sandboxctl::snapshot
