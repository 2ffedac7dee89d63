#include <fmt/format.h>
#include <fmt/ostream.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/report_output.hpp"
#include "core/duration.hpp"
#include "core/log.hpp"
#include "masking/policy.hpp"
#include "plan/exclusions.hpp"
#include "plan/session_setup.hpp"
#include "profiles/registry.hpp"
#include "rebuild/keep.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::cli {
namespace {

nlohmann::json plan_json(const plan::CopyPlan& plan) {
    nlohmann::json doc;
    doc["source_role"] = plan.source_role;
    doc["relations"] = nlohmann::json::array();
    for (const auto* r : plan.relations) {
        doc["relations"].push_back(
            {{"kind", r->kind()}, {"name", r->display()}, {"bytes", r->bytes}, {"estimated_rows", r->estimated_rows}});
    }
    doc["data_bytes"] = plan.data_bytes;
    doc["excluded"] = plan::exclusions_json(plan.excluded);
    doc["data_excluded"] = plan::exclusions_json(plan.data_excluded);
    return doc;
}

void print_plan(const plan::CopyPlan& plan, std::ostream& out) {
    fmt::print(out, "source role: {}\n", plan.source_role);
    fmt::print(out, "would copy {} relations ({} tables with rows, {} sequences), about {} of table data\n",
               plan.relations.size(), plan.data.size(), plan.sequences.size(),
               format_bytes(static_cast<unsigned long long>(plan.data_bytes)));
    for (const auto* r : plan.relations) {
        fmt::print(out, "  {:<18} {:<50} {:>10} ~{} rows\n", r->kind(), r->display(),
                   format_bytes(static_cast<unsigned long long>(r->bytes)), r->estimated_rows);
    }
    plan::print_exclusions(out, "would leave out", plan.excluded, {.name_width = 50});
    plan::print_exclusions(out, "would copy the schema but not the rows of", plan.data_excluded, {.name_width = 50});
    if (auto tables = plan::tables_with_hidden_rows(plan); !tables.empty()) {
        fmt::print(out, "  BLOCKED: row-level security hides rows of {} from the source session\n", tables);
    }
}

// What would make refresh refuse or fail, found now.
std::vector<std::string> problems_of(plan::Source& source, plan::CopyPlan& plan, const config::Settings& settings) {
    std::vector<std::string> problems = plan::unmatched_pattern_problems(plan);
    for (auto& p : plan::dangling_foreign_keys(source.session->conn(), source.catalog, plan)) {
        problems.push_back(std::move(p));
    }
    if (settings.target) {
        auto target = plan::open_target(settings, "plan");
        auto check = safety::check_foreign_objects(target.conn, source.catalog, source.role, target.role);
        if (check.status == safety::Status::fail) problems.push_back("sandbox objects " + check.reason);
        if (check.status == safety::Status::warn) log::warning("{}", check.reason);
        for (const auto& rule : rebuild::inspect_keep_rules(&source.session->conn(), target.conn, settings.keep,
                                                            rebuild::keep_timeout(settings.statement_timeout))) {
            if (rule.status == safety::Status::fail) problems.push_back(rule.name + ": " + rule.reason);
            if (rule.status != safety::Status::fail) log::info("{}: {}", rule.name, rule.reason);
        }
    } else if (!settings.keep.empty()) {
        try {
            rebuild::check_keep_rules(settings.keep);
            log::info("{} [[refresh.keep]] rule(s) not checked against the sandbox: give --target",
                      settings.keep.size());
        } catch (const Error& e) {
            problems.push_back(e.what());
        }
    }
    return problems;
}

// What the refresh would mask (the user's rules and the profiles'),
// checked against prod as the refresh checks them; a rule the refresh
// would refuse, or strict masking with uncovered columns, is a problem.
masking::Summary masking_plan(plan::Source& source, const config::Settings& settings,
                              std::vector<std::string>& problems) {
    try {
        auto policy = masking::resolve(source.session->conn(), source.catalog,
                                       profiles::configured_masking_rules(settings), settings.masking);
        try {
            masking::require_covered(policy);
        } catch (const Error& e) {
            problems.push_back(e.what());
        }
        return masking::summary(policy);
    } catch (const Error& e) {
        if (e.code() != ExitCode::usage) throw;
        problems.push_back(e.what());
        return {};
    }
}

struct PlanOptions {
    config::Overrides settings;
    std::string json_path;
};

ExitCode run_plan(const Context& context, PlanOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto source = plan::open_source(settings, "plan");
    auto plan = plan::make_plan_for(source.catalog, source.role, settings);
    std::vector<schema::TocEntry> no_entries;
    plan::filter_toc(no_entries, source.catalog, plan);  // adds foreign keys into excluded tables
    auto problems = problems_of(source, plan, settings);
    auto masked = masking_plan(source, settings, problems);
    auto& out = output.text();
    print_plan(plan, out);
    masking::print_text(masked, out);
    for (const auto& p : plan.unmatched_patterns) {
        if (p.optional) fmt::print(out, "  note: optional {} {} matches nothing\n", p.option, p.pattern);
    }
    for (const auto& p : problems) fmt::print(out, "  PROBLEM: {}\n", p);
    if (output.wants_json()) {
        auto doc = plan_json(plan);
        doc["masking"] = masking::to_json(masked);
        doc["problems"] = problems;
        output.write_json(doc);
    }
    return plan::tables_with_hidden_rows(plan).empty() && problems.empty() ? ExitCode::ok : ExitCode::refused;
}

}  // namespace

void register_plan(Command& app, Context& context) {
    auto options = std::make_shared<PlanOptions>();
    auto command = app.subcommand("plan", "Show what refresh would copy and leave out, and why; changes nothing");
    add_source_options(command, options->settings);
    command.option("--target", options->settings.target,
                   "Also check the sandbox (CONNINFO) for objects that would make the refresh fail");
    add_target_role_option(command, options->settings);
    add_selection_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_plan);
}

}  // namespace sandboxctl::cli
