#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>

#include "cli/commands.hpp"
#include "masking/key_file.hpp"
#include "masking/policy.hpp"
#include "plan/session_setup.hpp"
#include "profiles/registry.hpp"
#include "rebuild/keep.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::cli {
namespace {

safety::Check row_visibility_check(const plan::CopyPlan& plan) {
    safety::Check check{"row-level security hides no rows", safety::Status::pass, "every table is fully visible"};
    if (auto tables = plan::tables_with_hidden_rows(plan); !tables.empty()) {
        check.status = safety::Status::fail;
        check.reason = "hidden rows in " + tables;
    }
    return check;
}

safety::Check problems_check(const char* name, const char* fine, const std::vector<std::string>& problems,
                             safety::Status status) {
    safety::Check check{name, safety::Status::pass, fine};
    if (problems.empty()) return check;
    check.status = status;
    check.reason.clear();
    for (const auto& p : problems) check.reason += (check.reason.empty() ? "" : "; ") + p;
    return check;
}

// The masking rules (the user's and the profiles') against prod, the text
// columns of masked tables no rule covers, and the key file.
std::vector<safety::Check> masking_checks(plan::Endpoints& endpoints, const config::Settings& settings,
                                          const std::vector<std::unique_ptr<profiles::Application>>& applications) {
    safety::Check rules{"masking rules fit prod", safety::Status::pass, "no masking rule"};
    masking::Policy policy;
    try {
        policy = masking::resolve(endpoints.source->conn(), endpoints.catalog,
                                  profiles::masking_rules(settings, applications), settings.masking);
    } catch (const Error& e) {
        if (e.code() != ExitCode::usage) throw;
        rules.status = safety::Status::fail;
        rules.reason = e.what();
        return {rules};
    }
    if (policy.empty()) return {rules};
    std::size_t columns = 0;
    for (const auto& t : policy.tables) columns += t.columns.size();
    rules.reason = fmt::format("{} column(s) of {} table(s) masked on the way", columns, policy.tables.size());
    std::vector<safety::Check> checks{rules};
    auto uncovered = policy.uncovered();
    safety::Check coverage{"every text column of a masked table has a rule", safety::Status::pass, "none uncovered"};
    if (!uncovered.empty()) {
        coverage.status = policy.strict ? safety::Status::fail : safety::Status::warn;
        coverage.reason = fmt::format("uncovered: {}{}", fmt::join(uncovered, ", "),
                                      policy.strict ? " (masking.strict refuses the refresh)" : "");
    }
    checks.push_back(coverage);
    safety::Check key{"the masking key file is private", safety::Status::pass, policy.key_file.string()};
    std::error_code ignored;
    if (!std::filesystem::exists(policy.key_file, ignored)) {
        key.status = safety::Status::warn;
        key.reason = policy.key_file.string() + " does not exist yet: the first masked refresh creates it";
    } else {
        try {
            masking::read_key(policy.key_file, masking::KeyUse::must_exist);
        } catch (const Error& e) {
            key.status = safety::Status::fail;
            key.reason = e.what();
        }
    }
    checks.push_back(key);
    return checks;
}

struct DoctorOptions {
    config::Overrides settings;
};

ExitCode run_doctor(const Context& context, DoctorOptions& options) {
    auto settings = resolve_settings(context, options.settings);
    auto endpoints = plan::open_endpoints(settings, "doctor");
    schema::PgTools tools(settings.pg_bin);
    auto checks = safety::run_preflight({endpoints.source->conn(), endpoints.target, endpoints.target_info,
                                         endpoints.catalog, endpoints.source_role, endpoints.target_role, tools,
                                         settings.init_database, settings.state_dir});
    auto plan = plan::make_plan_for(endpoints.catalog, endpoints.source_role, settings);
    checks.push_back(row_visibility_check(plan));
    checks.push_back(problems_check("exclusion patterns match", "every pattern matches a relation",
                                    plan::unmatched_pattern_problems(plan), safety::Status::fail));
    checks.push_back(problems_check(
        "foreign keys hold without the excluded rows", "no copied row refers to a row left out",
        plan::dangling_foreign_keys(endpoints.source->conn(), endpoints.catalog, plan), safety::Status::fail));
    auto applications = profiles::configured(settings);
    for (const auto& application : applications) {
        for (auto& check : application->checks()) checks.push_back(std::move(check));
    }
    for (auto& check : masking_checks(endpoints, settings, applications)) checks.push_back(std::move(check));
    for (auto& check : rebuild::inspect_keep_rules(&endpoints.source->conn(), endpoints.target, settings.keep,
                                                   rebuild::keep_timeout(settings.statement_timeout))) {
        checks.push_back(std::move(check));
    }
    bool failed = false;
    for (const auto& c : checks) {
        fmt::print("{} {}: {}\n", safety::status_label(c.status), c.name, c.reason);
        failed = failed || c.status == safety::Status::fail;
    }
    return failed ? ExitCode::refused : ExitCode::ok;
}

}  // namespace

void register_doctor(Command& app, Context& context) {
    auto options = std::make_shared<DoctorOptions>();
    auto command = app.subcommand("doctor", "Run the safety preflight and print PASS/WARN/FAIL for each check");
    command.footer(R"(
Checks: the source session is read-only; source and target are different databases (server
identity and database oid); the target role is not superuser and owns the target database;
the target carries sandboxctl's sandbox mark (or is empty; refresh --init marks a sandbox that
predates sandboxctl); the target credentials cannot write the source; pg_dump is new enough for the source server;
both servers run a supported PostgreSQL (14 to 18; WARN above it, for 14, untested, and for a
sandbox older than the source; FAIL below it); extensions exist in or can be created by the
target; the lock table can hold an atomic refresh; row-level security hides no source rows;
the sandbox holds no object of another role named like one the refresh creates; every
--exclude/--exclude-data pattern matches something; no copied row refers to a row --exclude-data leaves out;
each [[refresh.keep]] rule: its table in the sandbox and in prod (WARN where either lacks it:
nothing to keep), its key (FAIL without one), its where (FAIL where it fails in the sandbox) and
the rows it matches now; with [dolibarr], that both conf.php files are read and their instance ids
differ; with masking rules, that they fit prod (FAIL as refresh would refuse them), the text
columns of masked tables that no rule covers (WARN; FAIL under masking.strict) and that the key
file is private (WARN while it does not exist yet). Exits 3 when any check fails.)");
    add_copy_options(command, options->settings);
    add_pg_bin_option(command, options->settings);
    on_chosen(command, context, options, run_doctor);
}

}  // namespace sandboxctl::cli
