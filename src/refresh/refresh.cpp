#include "refresh/refresh.hpp"

#include <fmt/format.h>

#include "catalog/catalog.hpp"
#include "core/atomic_file.hpp"
#include "core/failpoint.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/temp_dir.hpp"
#include "maintenance/window.hpp"
#include "masking/fingerprint.hpp"
#include "masking/key_file.hpp"
#include "masking/keyed_hash.hpp"
#include "masking/policy.hpp"
#include "plan/copy_plan.hpp"
#include "plan/session_setup.hpp"
#include "profiles/registry.hpp"
#include "rebuild/keep.hpp"
#include "rebuild/post_sql.hpp"
#include "rebuild/row_source.hpp"
#include "rebuild/steps.hpp"
#include "safety/preflight.hpp"
#include "safety/records.hpp"
#include "safety/sandbox_mark.hpp"
#include "safety/source_session.hpp"
#include "safety/state_path.hpp"
#include "schema/pg_tools.hpp"
#include "sync/sync_files.hpp"

namespace sandboxctl::refresh {
namespace {

rebuild::SchemaScripts prepare_schema(const safety::SourceSession& source, const catalog::SourceCatalog& catalog,
                                      plan::CopyPlan& plan, const schema::PgTools& tools, const TempDir& work) {
    auto archive = work / "schema.dump";
    tools.dump_schema(source.info(), source.snapshot(), plan.dump_exclusions, archive);
    auto entries = schema::parse_toc(tools.list(archive), {catalog.role_names, catalog.schema_names});
    plan::filter_toc(entries, catalog, plan);
    for (const auto& e : entries) {
        if (!e.keep) log::detail("leaving out {} {} {}: {}", e.desc, e.schema, e.tag, e.reason);
    }
    return rebuild::schema_scripts(tools, archive, entries, work);
}

std::vector<rebuild::MaterializedView> matviews_of(const plan::CopyPlan& plan) {
    std::vector<rebuild::MaterializedView> views;
    for (const auto* view : plan.matviews) views.push_back({view->qualified(), view->display()});
    return views;
}

// What `status` shows as the last refresh; best effort (the refresh itself
// has committed, so a failure here is only a warning).
void record_refresh(pg::Connection& target, const std::filesystem::path& state_dir,
                    const refresh::RefreshReport& report) {
    try {
        auto path = safety::database_state_file(target, target.database(), state_dir, safety::refresh_record_kind);
        std::filesystem::create_directories(path.parent_path());
        auto doc = refresh::to_json(report);
        doc["finished_at"] = target.query_value("SELECT now()::text");
        // What ties the record to this server (safety/records.hpp).
        doc["target_server"] = safety::server_address(target);
        write_file_atomically(path, doc.dump(2) + "\n", "refresh record");
    } catch (const std::exception& e) {
        log::warning("could not record the refresh for status: {}", e.what());
    }
}

}  // namespace

refresh::RefreshReport run_refresh(const config::Settings& settings, const AfterCommit& after_commit) {
    refresh::RefreshReport report;
    // Every input is checked before the sandbox is touched.
    auto post_sql = rebuild::load_post_sql(settings.post_sql);
    rebuild::check_keep_rules(settings.keep);
    // The profiles read what they need here too, before the sandbox is touched.
    auto applications = profiles::configured(settings);
    auto profiles = profiles::open_all(applications, profiles::Use::refresh);
    plan::Endpoints endpoints = plan::open_endpoints(settings, "refresh", plan::AfterCrash::repair);
    auto& source = *endpoints.source;
    // The target side as a whole, for what runs after the commit on this
    // same session (it holds the run lock).
    plan::Target target_side{endpoints.target_info, std::move(endpoints.target), endpoints.target_role};
    auto& target = target_side.conn;
    maintenance::Window window(target, endpoints.target_info, settings, "refresh");
    report.source = endpoints.source_info.describe();
    report.target = endpoints.target_info.describe();
    report.source_role = endpoints.source_role;
    report.target_role = endpoints.target_role;

    TempDir work("sandboxctl-refresh");
    schema::PgTools tools(settings.pg_bin);
    {
        interrupt::phase_boundary("preflight");
        output::PhaseTimer t(report.phases, "preflight");
        report.checks = safety::run_preflight({source.conn(), target, endpoints.target_info, endpoints.catalog,
                                               endpoints.source_role, endpoints.target_role, tools,
                                               settings.init_database, settings.state_dir});
        safety::require_passed(report.checks);
        for (const auto& c : report.checks) {
            if (c.status == safety::Status::warn) log::warning("{}: {}", c.name, c.reason);
        }
    }
    plan::CopyPlan plan = plan::make_plan_for(endpoints.catalog, endpoints.source_role, settings);
    plan::require_patterns_matched(plan);
    plan::require_something_to_copy(plan);
    plan::require_full_visibility(plan);
    plan::require_no_dangling_foreign_keys(plan::dangling_foreign_keys(source.conn(), endpoints.catalog, plan));
    rebuild::require_keep_rules_fit_source(source.conn(), settings.keep);
    auto masking_rules = profiles::masking_rules(settings, applications);
    auto masking_policy = masking::resolve(source.conn(), endpoints.catalog, masking_rules, settings.masking);
    masking::require_covered(masking_policy);
    if (!masking_policy.empty()) {
        auto fresh = safety::SourceSession::open_probe(endpoints.source_info, "refresh-masking");
        masking::hold_masked_tables(source.conn(), fresh, masking_policy);
    }
    std::optional<masking::KeyedHash> masking_hash;
    if (!masking_rules.empty())
        masking_hash.emplace(masking::read_key(masking_policy.key_file, masking::KeyUse::create_if_missing));
    // Kept with the sandbox, in the refresh's transaction: what its rows
    // were masked with (a reset refuses snapshots masked otherwise).
    std::string masking_state = masking_hash ? masking::fingerprint(masking_rules, *masking_hash) : "";
    report.masking = masking::summary(masking_policy);

    rebuild::Rebuild steps;
    steps.target_role = endpoints.target_role;
    steps.lock_timeout = settings.lock_timeout;
    steps.statement_timeout = settings.statement_timeout;
    steps.login_objects = rebuild::LoginObjects::all;
    steps.post_sql = std::move(post_sql);
    steps.matviews = matviews_of(plan);
    steps.profiles = profiles::hooks_of(profiles);
    steps.keep = settings.keep;
    // Marked in the same transaction: a sandbox that is marked is one
    // sandboxctl refreshed (see safety/sandbox_mark.hpp).
    auto recorded = safety::recorded_mark(target, settings.state_dir);
    steps.after_clean = [&] {
        auto mark = safety::read_mark(target);
        if (recorded && (!mark || mark->id != recorded->id)) {
            // Lost or changed, and proven ours by the record: the recorded
            // mark goes back.
            report.sandbox_mark = safety::write_mark(target, recorded->id).id;
        } else if (mark) {
            report.sandbox_mark = mark->id;
        } else {
            report.sandbox_mark = safety::write_mark(target).id;
            report.marked_now = true;
        }
        safety::write_masking_state(target, masking_state);
    };
    {
        interrupt::phase_boundary("schema dump");
        output::PhaseTimer t(report.phases, "schema dump");
        steps.scripts = prepare_schema(source, endpoints.catalog, plan, tools, work);
        steps.sequences = rebuild::sequence_values(catalog::read_sequence_states(source.conn(), plan.sequences));
    }
    report.excluded = plan.excluded;
    report.data_excluded = plan.data_excluded;

    window.stop_application();
    report.sessions_ended = static_cast<int>(window.take_exclusive_access().sessions().size());

    rebuild::LiveRowSource rows(source, plan.data, plan.data_bytes,
                                {&masking_policy, masking_hash ? &*masking_hash : nullptr});
    try {
        target.exec("BEGIN");
        auto outcome = rebuild::run(target, steps, rows, report.phases);
        report.tables = std::move(outcome.tables);
        report.sequences_set = outcome.sequences_set;
        report.schema_entries_restored = outcome.schema_entries_restored;
        report.profiles = profiles::outcomes_of(profiles);
        report.kept = std::move(outcome.kept);
        for (const auto& f : settings.post_sql) report.post_sql.push_back(f.string());
        {
            interrupt::phase_boundary("commit");
            output::PhaseTimer t(report.phases, "commit");
            target.exec("COMMIT");
            report.committed = true;
        }
    } catch (...) {
        window.rethrow_naming_lock_holders();
    }
    // Past the commit the new sandbox stands; an interrupt no longer undoes it.
    failpoint::reach("committed");
    record_refresh(target, settings.state_dir, report);
    safety::record_source(source.conn(), settings.state_dir);
    // Files travel with the database, before the sandbox app comes back.
    if (settings.with_files) {
        output::PhaseTimer t(report.phases, "files");
        try {
            for (const auto& files : sync::sync_configured_pairs(settings, false)) {
                if (!files.refused.empty()) throw failure(fmt::format("{} entries were refused", files.refused.size()));
            }
        } catch (const std::exception& e) {
            report.follow_up_failures.push_back(
                {"files", fmt::format("syncing the files failed: {}", e.what()),
                 "The database refresh was committed; the files may be partly synced. Run \"sandboxctl sync-files\" "
                 "(it completes what is missing) before the application uses the sandbox."});
        }
    }
    window.end_exclusive_access(report.follow_up_failures);
    if (after_commit) after_commit(target_side, report);
    window.restart_application(report.follow_up_failures);
    return report;
}

}  // namespace sandboxctl::refresh
