#include "reset/reset.hpp"

#include <fmt/format.h>

#include "core/failpoint.hpp"
#include "core/log.hpp"
#include "maintenance/window.hpp"
#include "masking/fingerprint.hpp"
#include "masking/key_file.hpp"
#include "profiles/registry.hpp"
#include "reset/delta_reset.hpp"
#include "reset/full_reset.hpp"
#include "reset/reset_path.hpp"
#include "safety/records.hpp"
#include "safety/sandbox_mark.hpp"
#include "safety/state_path.hpp"
#include "snapshot/file_check.hpp"
#include "snapshot/sandbox_tables.hpp"
#include "snapshot/store.hpp"
#include "snapshot/tracking.hpp"
#include "snapshot/write_counts.hpp"

namespace sandboxctl::reset {
namespace {

// The snapshot a reset returns to: the one named, or the baseline's.
std::string snapshot_to_reach(const std::optional<std::string>& requested,
                              const std::optional<snapshot::Baseline>& baseline, const snapshot::Store& store) {
    std::string name = requested ? *requested : baseline ? baseline->snapshot : "";
    if (name.empty()) {
        throw usage_error("no snapshot named and the sandbox has no baseline snapshot",
                          "Create one with \"sandboxctl snapshot create NAME\" and pass it to reset.");
    }
    if (!store.exists(name)) {
        throw usage_error("snapshot \"" + name + "\" does not exist in \"" + store.root().string() + "\"",
                          "List the snapshots with \"sandboxctl snapshot list\".");
    }
    return name;
}

// After the commit: the window closes (connection limit, workloads, `after`
// hook), each failure a follow-up failure of the reset that stands.
ResetResult finish(maintenance::Window& window, ResetResult result, std::chrono::steady_clock::time_point start) {
    window.end_exclusive_access(result.follow_up_failures);
    window.restart_application(result.follow_up_failures);
    result.elapsed = std::chrono::steady_clock::now() - start;
    return result;
}

// A reset loads the snapshot's rows as they are: with masking configured,
// only a snapshot of a sandbox masked by these same rules and key may be
// loaded. One taken before masking was on (or under other rules) would bring
// back what the rules now mask.
void require_masked_as_configured(const config::Settings& settings, const snapshot::Manifest& manifest) {
    auto rules = profiles::configured_masking_rules(settings);
    if (rules.empty()) return;
    masking::KeyedHash hash(masking::read_key(settings.masking.key_file, masking::KeyUse::must_exist));
    if (manifest.masking == masking::fingerprint(rules, hash)) return;
    throw Error(ExitCode::refused,
                fmt::format("snapshot \"{}\" holds rows {} the configured masking rules and key", manifest.name,
                            manifest.masking.empty() ? "that were not masked by" : "masked otherwise than by"),
                fmt::format("Loading it would bring back data the rules mask. Refresh (the rows are masked on the "
                            "way), then \"sandboxctl snapshot create {} --replace\".",
                            manifest.name));
}

}  // namespace

ResetResult reset_sandbox(plan::Target& target, const config::Settings& settings,
                          const std::optional<std::string>& requested, bool force_full,
                          const std::optional<std::string>& member_mark, const snapshot::TableReader& table_reader) {
    auto start = std::chrono::steady_clock::now();
    rebuild::check_keep_rules(settings.keep);
    snapshot::Store store(settings.snapshot_dir);
    auto& conn = target.conn;
    maintenance::Window window(conn, target.info, settings, "reset");
    window.connect_control_early();

    conn.exec("BEGIN");
    auto baseline = snapshot::read_baseline(conn);
    conn.exec("COMMIT");
    auto name = snapshot_to_reach(requested, baseline, store);
    auto manifest = snapshot::load_manifest(store.path_of(name));
    require_masked_as_configured(settings, manifest);
    safety::restore_mark(conn, safety::recorded_mark(conn, settings.state_dir), target.role);
    safety::require_mark(conn, member_mark.value_or(manifest.sandbox_id), "reset to snapshot \"" + name + "\"");
    snapshot::require_intact(name, snapshot::check_files(store.path_of(name), manifest, snapshot::Thoroughness::quick));

    // Every reset takes exclusive access (the application's sessions end), but
    // only a full one stops the application first (the `before` hook, the
    // [kubernetes] workloads), like a refresh: a delta reset between two BDD
    // scenarios takes well under a second, stopping and starting the
    // application's pods tens of seconds.
    if (window.stops_application() &&
        (force_full || !delta_expected(conn, target.role, settings.lock_timeout, baseline, name, manifest))) {
        window.stop_application();
    }
    const auto& exclusive = window.take_exclusive_access();
    auto counts_file =
        safety::database_state_file(conn, conn.database(), settings.state_dir, snapshot::write_counts_kind);
    std::optional<snapshot::WriteCounts> counts;
    if (exclusive.alone() && snapshot::write_counts_trustworthy(conn))
        counts = snapshot::load_write_counts(counts_file);

    // The cache is checked on every path, --full too: a full reset keeps it.
    std::optional<ResetResult> delta;
    std::string why_full;
    bool cache_sound = false;
    bool counts_held = false;
    try {
        snapshot::begin_as(conn, target.role, "BEGIN", settings.lock_timeout);
        // --full decides without the log: nothing to hold.
        if (!force_full) snapshot::hold_tracked_tables(conn);
        auto path = choose_path(conn, baseline, name, manifest, counts ? &*counts : nullptr);
        cache_sound = path.cache_sound;
        counts_held = path.counts_held;
        why_full = force_full ? "--full was given" : path.why_full;
        if (why_full.empty()) {
            delta = delta_reset(conn, name, manifest, *baseline, path, counts ? &*counts : nullptr);
        } else {
            conn.exec("ROLLBACK");
        }
    } catch (...) {
        window.rethrow_naming_lock_holders();
    }
    if (delta) {
        failpoint::reach("committed");
        if (exclusive.alone()) record_write_counts(conn, counts_file, manifest, counts_held ? counts : std::nullopt);
        return finish(window, std::move(*delta), start);
    }
    log::detail("full reset: {}", why_full);
    // Expected to be a delta one until exclusive access showed otherwise.
    window.stop_application();
    snapshot::require_intact(name, snapshot::check_files(store.path_of(name), manifest, snapshot::Thoroughness::quick));
    auto result = full_reset(target, window, settings, store, manifest, why_full,
                             cache_sound ? CacheUse::reuse_if_sound : CacheUse::rebuild, table_reader);
    if (exclusive.alone()) record_write_counts(conn, counts_file, manifest, std::nullopt);
    return finish(window, std::move(result), start);
}

}  // namespace sandboxctl::reset
