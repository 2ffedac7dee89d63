#include "plan/session_setup.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "core/log.hpp"
#include "safety/exclusive_access.hpp"
#include "safety/run_lock.hpp"

namespace sandboxctl::plan {
namespace {

std::string role_or_database_owner(const std::optional<std::string>& role, pg::Connection& conn) {
    if (role) return *role;
    return conn.query_value("SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database "
                            "WHERE datname = pg_catalog.current_database()");
}

}  // namespace

Source open_source(const config::Settings& settings, std::string_view purpose) {
    Source source{
        pg::ConnInfo::parse(config::require(settings.source, "source", "--source", "SANDBOXCTL_SOURCE"), "source"),
        nullptr,
        {},
        {}};
    source.info.add_server_setting("statement_timeout", std::to_string(settings.statement_timeout.count()));
    source.session = std::make_unique<safety::SourceSession>(source.info, purpose);
    source.session->conn().exec("SET LOCAL search_path = pg_catalog");
    source.catalog = catalog::read_catalog(source.session->conn());
    source.role = settings.source_role.value_or(source.catalog.database_owner);
    log::detail("source role: {}", source.role);
    return source;
}

Target open_target(const config::Settings& settings, std::string_view purpose, AfterCrash after_crash) {
    auto info =
        pg::ConnInfo::parse(config::require(settings.target, "target", "--target", "SANDBOXCTL_TARGET"), "target");
    info.add_server_setting("statement_timeout", std::to_string(settings.statement_timeout.count()));
    auto conn = [&] {
        try {
            return pg::Connection::open(info, purpose);
        } catch (const Error&) {
            if (after_crash == AfterCrash::repair) {
                if (auto repaired =
                        safety::repair_crashed_limit(info, safety::default_maintenance_db, settings.state_dir)) {
                    log::warning("a killed run left database \"{}\" refusing connections: restored its connection "
                                 "limit {}, recorded before the crash",
                                 repaired->database, repaired->restored_limit);
                    return pg::Connection::open(info, purpose);
                }
            }
            // Refused because another run holds the sandbox? Say so.
            safety::explain_unreachable_sandbox(info, safety::default_maintenance_db);
            throw;
        }
    }();
    std::string role = role_or_database_owner(settings.target_role, conn);
    log::detail("target role: {}", role);
    return {std::move(info), std::move(conn), std::move(role)};
}

Endpoints open_endpoints(const config::Settings& settings, std::string_view purpose, AfterCrash after_crash) {
    Source source = open_source(settings, purpose);
    Target target = open_target(settings, purpose, after_crash);
    return {std::move(source.info),    std::move(target.info), std::move(source.session), std::move(target.conn),
            std::move(source.catalog), std::move(source.role), std::move(target.role)};
}

CopyPlan make_plan_for(const catalog::SourceCatalog& catalog, const std::string& source_role,
                       const config::Settings& settings) {
    const auto& roles = catalog.role_names;
    if (std::find(roles.begin(), roles.end(), source_role) == roles.end()) {
        throw usage_error(fmt::format("source role \"{}\" does not exist in the source database", source_role),
                          "Name the role that owns the application's objects (default: the owner of the source "
                          "database).");
    }
    PlanOptions options;
    options.source_role = source_role;
    auto add = [&](std::vector<catalog::NamePattern>& to, std::string_view text, const char* option) {
        bool optional = text.starts_with(optional_pattern_prefix);
        if (optional) text.remove_prefix(optional_pattern_prefix.size());
        to.emplace_back(text, option);
        if (optional) options.optional_patterns.insert(to.back().text());
    };
    for (const auto& p : settings.exclude) add(options.exclude, p, "--exclude");
    for (const auto& p : settings.exclude_data) add(options.exclude_data, p, "--exclude-data");
    return make_plan(catalog, options);
}

void require_something_to_copy(const CopyPlan& plan) {
    if (!plan.relations.empty()) return;
    throw Error(ExitCode::refused,
                fmt::format("refusing to empty the sandbox: role \"{}\" owns no table, view or sequence to copy in "
                            "the source database",
                            plan.source_role),
                "Check --source-role (default: the owner of the source database) and --exclude.");
}

std::vector<std::string> unmatched_pattern_problems(const CopyPlan& plan) {
    std::vector<std::string> problems;
    for (const auto& p : plan.unmatched_patterns) {
        if (!p.optional)
            problems.push_back(fmt::format("{} {} matches no relation in the source database", p.option, p.pattern));
    }
    return problems;
}

void require_patterns_matched(const CopyPlan& plan) {
    auto problems = unmatched_pattern_problems(plan);
    if (problems.empty()) return;
    std::string message;
    for (const auto& p : problems) message += (message.empty() ? "" : "; ") + p;
    throw usage_error(message, fmt::format("Check the spelling (\"sandboxctl plan\" lists the relations); mark a "
                                           "pattern that may match nothing as \"{}PATTERN\".",
                                           optional_pattern_prefix));
}

std::vector<std::string> dangling_foreign_keys(pg::Connection& source, const catalog::SourceCatalog& catalog,
                                               const CopyPlan& plan) {
    std::vector<std::string> problems;
    for (const auto* fk : plan.keys_into_data_excluded) {
        const auto* table = catalog.find(fk->table_oid);
        const auto* referenced = catalog.find(fk->referenced_oid);
        if (!table || !referenced || fk->checked_rows.empty()) continue;
        bool has_rows = source.query_value(fmt::format("SELECT EXISTS (SELECT 1 FROM {} WHERE {})", table->qualified(),
                                                       fk->checked_rows)) == "t";
        if (!has_rows) continue;
        problems.push_back(fmt::format("foreign key {} of {} references {}, whose rows are left out "
                                       "(--exclude-data), and {} has rows that refer to them",
                                       fk->name, table->display(), referenced->display(), table->display()));
    }
    return problems;
}

void require_no_dangling_foreign_keys(const std::vector<std::string>& problems) {
    if (problems.empty()) return;
    std::string message = "refusing to refresh: the restore would fail on foreign keys";
    for (const auto& p : problems) message += "\n  " + p;
    throw Error(ExitCode::refused, message,
                "Leave out the referencing tables' rows too (--exclude-data), or copy the referenced rows.");
}

std::string tables_with_hidden_rows(const CopyPlan& plan) {
    std::string tables;
    for (const auto* r : plan.row_security_blocked) tables += (tables.empty() ? "" : ", ") + r->display();
    return tables;
}

void require_full_visibility(const CopyPlan& plan) {
    auto tables = tables_with_hidden_rows(plan);
    if (tables.empty()) return;
    throw Error(ExitCode::refused,
                fmt::format("refusing to copy {}: row-level security hides rows from the source session, so the "
                            "copy would be incomplete",
                            tables),
                "Use a source login that owns these tables without FORCE ROW LEVEL SECURITY or has BYPASSRLS, "
                "or skip their rows with --exclude-data.");
}

}  // namespace sandboxctl::plan
