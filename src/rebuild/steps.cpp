#include "rebuild/steps.hpp"

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/own_schemas.hpp"
#include "output/progress.hpp"
#include "safety/run_lock.hpp"
#include "schema/script_runner.hpp"

namespace sandboxctl::rebuild {
namespace {

// What the login owns, except the golden cache and a pool member's lease
// (DROP OWNED BY would take them).
void drop_login_objects_but_cache(pg::Connection& conn) {
    auto statements = conn.exec(R"(
WITH me AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = session_user),
     keep AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname IN ($1, $2, 'pg_catalog', 'information_schema'))
SELECT format('DROP SCHEMA IF EXISTS %I CASCADE', nspname) FROM pg_catalog.pg_namespace
 WHERE nspowner = (SELECT oid FROM me) AND oid NOT IN (SELECT oid FROM keep)
UNION ALL
SELECT format('DROP %s IF EXISTS %s CASCADE',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE'
                             WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END, c.oid::regclass)
  FROM pg_catalog.pg_class c
 WHERE c.relowner = (SELECT oid FROM me) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND c.relnamespace NOT IN (SELECT oid FROM keep)
UNION ALL
SELECT format('DROP ROUTINE IF EXISTS %s CASCADE', p.oid::regprocedure) FROM pg_catalog.pg_proc p
 WHERE p.proowner = (SELECT oid FROM me) AND p.pronamespace NOT IN (SELECT oid FROM keep)
UNION ALL
SELECT format('DROP TYPE IF EXISTS %s CASCADE', t.oid::regtype) FROM pg_catalog.pg_type t
 WHERE t.typowner = (SELECT oid FROM me) AND t.typtype IN ('c', 'd', 'e', 'r') AND t.typrelid = 0
   AND t.typnamespace NOT IN (SELECT oid FROM keep))",
                                {std::string(own_schemas::cache), std::string(own_schemas::pool)});
    std::string sql;
    for (int row = 0; row < statements.rows(); ++row) sql += statements.get(row, 0) + ";\n";
    if (!sql.empty()) conn.exec(sql);
}

void clean(pg::Connection& target, const Rebuild& rebuild) {
    schema::apply_rebuild_settings(target, rebuild.lock_timeout);
    if (target.user() != rebuild.target_role) {
        if (rebuild.login_objects == LoginObjects::all) {
            target.exec("DROP OWNED BY " + target.quote_identifier(target.user()) + " CASCADE");
        } else {
            drop_login_objects_but_cache(target);
        }
    }
    // Objects created from here on belong to the target role, not the login.
    target.exec("SET LOCAL ROLE " + target.quote_identifier(rebuild.target_role));
    target.exec("DROP OWNED BY " + target.quote_identifier(rebuild.target_role) + " CASCADE");
}

// The copy's progress line: tables, rows and bytes done, and an ETA from the
// estimated bytes.
class DataProgress {
public:
    DataProgress(std::size_t tables, long long estimated_bytes)
        : tables_(tables), estimated_bytes_(estimated_bytes), start_(std::chrono::steady_clock::now()) {}

    void table_started(std::string name) {
        current_ = std::move(name);
        update({});
    }
    void update(const pg::CopyCounters& table) {
        table_ = table;
        line_.show([this] { return render(); });
    }
    void table_finished(const pg::CopyCounters& table) {
        ++done_;
        rows_ += table.rows;
        bytes_ += table.bytes;
        update({});
    }

private:
    std::string render() const {
        long long bytes = bytes_ + table_.bytes;
        double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
        std::string eta = "?";
        if (bytes > 0 && estimated_bytes_ > bytes) {
            double remaining = elapsed * static_cast<double>(estimated_bytes_ - bytes) / static_cast<double>(bytes);
            eta = format_duration(
                std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(remaining)));
        }
        return fmt::format("copying {}/{} tables, {} rows, {} of ~{}, ETA {} ({})", done_, tables_, rows_ + table_.rows,
                           format_bytes(static_cast<unsigned long long>(bytes)),
                           format_bytes(static_cast<unsigned long long>(estimated_bytes_)), eta, current_);
    }

    output::ProgressLine line_;
    std::size_t tables_;
    std::size_t done_ = 0;
    long long estimated_bytes_;
    long long rows_ = 0, bytes_ = 0;
    pg::CopyCounters table_;
    std::string current_;
    std::chrono::steady_clock::time_point start_;
};

// Loads every table of `rows`. The tables were created in this transaction,
// so rows can be written frozen: no later VACUUM has to visit them again.
std::vector<copy::TableCopy> load_tables(pg::Connection& target, RowSource& rows) {
    std::vector<copy::TableCopy> copies;
    const auto& tables = rows.tables();
    DataProgress progress(tables.size(), rows.estimated_bytes());
    rows.start(target);
    for (std::size_t i = 0; i < tables.size(); ++i) {
        const auto& table = *tables[i];
        interrupt::phase_boundary("table " + table.display());
        auto start = std::chrono::steady_clock::now();
        progress.table_started(table.display());
        auto counters = rows.load(target, i, copy::copy_statements(table, true),
                                  [&](const pg::CopyCounters& c) { progress.update(c); });
        progress.table_finished(counters);
        auto elapsed = std::chrono::steady_clock::now() - start;
        log::detail("copied {}: {} rows, {} bytes", table.display(), counters.rows, counters.bytes);
        copies.push_back({table.display(), counters.rows, counters.bytes,
                          std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed)});
    }
    rows.finish(target);
    return copies;
}

void refresh_matviews(pg::Connection& target, const std::vector<MaterializedView>& views) {
    for (const auto& view : views) {
        try {
            target.exec("REFRESH MATERIALIZED VIEW " + view.qualified);
        } catch (...) {
            rethrow_with_context("could not populate materialized view " + view.display);
        }
    }
}

}  // namespace

SchemaScripts schema_scripts(const schema::PgTools& tools, const std::filesystem::path& archive,
                             const std::vector<schema::TocEntry>& entries, const TempDir& work) {
    auto list_file = work / "restore.list";
    write_private_file(list_file, schema::render_toc(entries));
    return {schema::split_script(tools.script(archive, list_file, "pre-data")),
            schema::split_script(tools.script(archive, list_file, "post-data"))};
}

std::vector<SequenceValue> sequence_values(const std::vector<catalog::SequenceState>& states) {
    std::vector<SequenceValue> values;
    for (const auto& s : states) values.push_back({s.sequence->qualified(), s.last_value, s.is_called});
    return values;
}

// pg_sequence_last_value is NULL for a sequence not yet called.
int set_sequences(pg::Connection& target, const std::vector<SequenceValue>& sequences) {
    if (sequences.empty()) return 0;
    std::string names, values, called;
    for (const auto& s : sequences) {
        names += (names.empty() ? "" : ",") + pg::quote_literal(s.qualified);
        values += (values.empty() ? "" : ",") + s.last_value;
        called += (called.empty() ? "" : ",") + std::string(s.is_called ? "true" : "false");
    }
    return static_cast<int>(target.query_integer(fmt::format(R"(
SELECT count(pg_catalog.setval(seq, v, c)) FROM (
  SELECT seq::pg_catalog.regclass AS seq, v, c
  FROM unnest(ARRAY[{}]::text[], ARRAY[{}]::bigint[], ARRAY[{}]::bool[]) AS s(seq, v, c)) s
WHERE NOT c OR pg_catalog.pg_sequence_last_value(seq) IS DISTINCT FROM v)",
                                                             names, values, called)));
}

std::vector<SequenceValue> current_sequence_values(pg::Connection& target,
                                                   const std::vector<SequenceValue>& sequences) {
    if (sequences.empty()) return {};
    std::string sql;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        if (i) sql += "\nUNION ALL ";
        sql += fmt::format("SELECT {}, last_value::text, is_called FROM {}", i, sequences[i].qualified);
    }
    auto result = target.exec(sql);
    std::vector<SequenceValue> values(sequences.size());
    for (int row = 0; row < result.rows(); ++row) {
        auto i = static_cast<std::size_t>(result.get_int(row, 0));
        values[i] = {sequences[i].qualified, result.get(row, 1), result.get_bool(row, 2)};
    }
    return values;
}

namespace {

// Every profile's live channels, read in a read-only subtransaction rolled
// back after: a check (a [[channels]] live_when is the user's SQL) can
// neither write nor leave anything behind.
std::vector<LiveChannel> live_channels(pg::Connection& target, const std::vector<Profile*>& profiles) {
    target.exec("SAVEPOINT sandboxctl_recheck");
    target.exec("SET LOCAL transaction_read_only = on");
    std::vector<LiveChannel> live;
    for (auto* profile : profiles) {
        for (auto& channel : profile->live_channels(target)) live.push_back(std::move(channel));
    }
    target.exec("ROLLBACK TO SAVEPOINT sandboxctl_recheck");
    target.exec("RELEASE SAVEPOINT sandboxctl_recheck");
    return live;
}

}  // namespace

RebuildOutcome run(pg::Connection& target, const Rebuild& rebuild, RowSource& rows,
                   std::vector<output::Phase>& phases) {
    RebuildOutcome outcome;
    KeptRows kept;
    {
        interrupt::phase_boundary("clean");
        output::PhaseTimer t(phases, "clean");
        // The kept rows are read under the rebuild's lock timeout, like
        // everything the rebuild touches.
        if (!rebuild.keep.empty()) schema::apply_rebuild_settings(target, rebuild.lock_timeout);
        kept = KeptRows::capture(target, rebuild.keep, keep_timeout(rebuild.statement_timeout));
        // A where is user SQL run in the session that holds the run lock.
        if (!rebuild.keep.empty()) safety::require_run_lock(target, "the [[refresh.keep]] rules' where");
        for (auto* profile : rebuild.profiles) profile->before_clean(target, kept);
        clean(target, rebuild);
        if (rebuild.after_clean) rebuild.after_clean();
    }
    {
        interrupt::phase_boundary("pre-data");
        output::PhaseTimer t(phases, "schema (pre-data)");
        schema::run_script(target, rebuild.scripts.pre_data, "pre-data");
    }
    {
        output::PhaseTimer t(phases, "data");
        outcome.tables = load_tables(target, rows);
        outcome.sequences_set = set_sequences(target, rebuild.sequences);
    }
    {
        interrupt::phase_boundary("post-data");
        output::PhaseTimer t(phases, "schema (post-data)");
        schema::run_script(target, rebuild.scripts.post_data, "post-data");
        refresh_matviews(target, rebuild.matviews);
    }
    if (!rebuild.profiles.empty()) {
        interrupt::phase_boundary("profile (loaded rows)");
        output::PhaseTimer t(phases, "application profile (loaded rows)");
        for (auto* profile : rebuild.profiles) profile->before_kept_rows(target);
    }
    if (!rebuild.keep.empty()) {
        // After the post-data schema, so that the kept rows meet the keys
        // they replace prod's rows on; before the post-refresh SQL, which
        // may read them.
        interrupt::phase_boundary("kept rows");
        output::PhaseTimer t(phases, "kept rows");
        outcome.kept = kept.write_back(target);
    }
    outcome.schema_entries_restored =
        static_cast<int>(rebuild.scripts.pre_data.size() + rebuild.scripts.post_data.size());
    if (!rebuild.post_sql.empty()) {
        interrupt::phase_boundary("post-sql");
        output::PhaseTimer t(phases, "post-refresh SQL");
        schema::apply_rebuild_settings(target, rebuild.lock_timeout);
        run_post_sql(target, rebuild.post_sql);
        safety::require_run_lock(target, "the post-refresh SQL");
    }
    if (!rebuild.profiles.empty()) {
        interrupt::phase_boundary("profile");
        output::PhaseTimer t(phases, "application profile");
        schema::apply_rebuild_settings(target, rebuild.lock_timeout);
        for (auto* profile : rebuild.profiles) profile->after_load(target);
        // A [[channels]] switch_off is the user's SQL: what it changed in the
        // session (search_path, the disconnect check) is put back.
        schema::apply_rebuild_settings(target, rebuild.lock_timeout);
        // Deferred constraint triggers (post-refresh SQL may create them)
        // would otherwise run at COMMIT, after the re-check, and could switch
        // a channel back on. Fired now, and every later one fires at once:
        // the re-check sees the state that commits. Every profile switches
        // off first, then every one checks: no profile's switch can undo
        // what another's check saw.
        target.exec("SET CONSTRAINTS ALL IMMEDIATE");
        auto live = live_channels(target, rebuild.profiles);
        safety::require_run_lock(target, "the application profiles' statements and [[channels]]");
        if (!live.empty()) refuse_live_channels(live);
    }
    return outcome;
}

}  // namespace sandboxctl::rebuild
