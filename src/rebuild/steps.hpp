#pragma once
// The rebuild of a sandbox, shared by `refresh` (rows from the live source)
// and a full `reset` (rows from a snapshot's files): clean, schema pre-data,
// data, sequences, schema post-data, materialized views, post-refresh SQL.
// Everything runs in the caller's open target transaction, so a failure at
// any step leaves the sandbox as it was. A step added here applies to both
// commands; where they differ, the difference is a field of Rebuild.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "config/settings.hpp"
#include "copy/copy_statements.hpp"
#include "core/temp_dir.hpp"
#include "output/phase_timer.hpp"
#include "pg/connection.hpp"
#include "rebuild/keep.hpp"
#include "rebuild/live_channels.hpp"
#include "rebuild/post_sql.hpp"
#include "rebuild/row_source.hpp"
#include "schema/pg_tools.hpp"
#include "schema/schema_script.hpp"
#include "schema/toc.hpp"

namespace sandboxctl::rebuild {

struct SchemaScripts {
    std::vector<schema::ScriptEntry> pre_data;
    std::vector<schema::ScriptEntry> post_data;
};

// The pre-data and post-data scripts of `archive`, restricted to the kept
// `entries` (the restore list is written into `work`).
SchemaScripts schema_scripts(const schema::PgTools& tools, const std::filesystem::path& archive,
                             const std::vector<schema::TocEntry>& entries, const TempDir& work);

struct SequenceValue {
    std::string qualified;  // quoted, schema-qualified
    std::string last_value;
    bool is_called = false;
};
std::vector<SequenceValue> sequence_values(const std::vector<catalog::SequenceState>& states);

// Sets every sequence whose state differs from `sequences` (one statement);
// returns how many were set. After a rebuild that is every sequence.
int set_sequences(pg::Connection& target, const std::vector<SequenceValue>& sequences);
// The current state of `sequences` (one statement), to put back with
// set_sequences: setval is not undone by a rollback.
std::vector<SequenceValue> current_sequence_values(pg::Connection& target, const std::vector<SequenceValue>& sequences);

struct MaterializedView {
    std::string qualified;  // for the statement
    std::string display;    // for an error
};

// What the clean step drops of the objects the login owns (when the login is
// not the target role; the target role's objects always all go).
enum class LoginObjects {
    // A refresh replaces everything, the golden cache too: it holds the rows
    // of a snapshot of the sandbox being replaced (the next reset is a full
    // one anyway, as the change tracking goes with the target role's objects).
    all,
    // All but the golden cache, which belongs to the login (snapshot/cache.hpp):
    // a full reset keeps it, to reuse it if it holds the snapshot; and a pool
    // member's lease (pool/lease_table.hpp), which outlives its resets.
    all_but_golden_cache,
};

// What an application profile (profiles/profile.hpp) adds to a rebuild. Its
// hooks run on the target inside the rebuild's transaction, as the target
// role; a throw from either rolls the whole rebuild back.
class Profile {
public:
    virtual ~Profile() = default;
    // Before the clean: read what must outlive the rebuild (kept users, say),
    // and check it against the [[refresh.keep]] rows just read.
    virtual void before_clean(pg::Connection& target, const KeptRows& kept) = 0;
    // After the load and the post-data schema, before the kept rows go back:
    // what concerns only the loaded rows (a refresh's secrets, which are
    // prod's), never the sandbox's own kept rows.
    virtual void before_kept_rows(pg::Connection& target) = 0;
    // Last, after the kept rows and the post-refresh SQL: make the copy safe
    // (switch every outgoing channel off).
    virtual void after_load(pg::Connection& target) = 0;
    // Then, once every profile's after_load ran: what is still live. A
    // rebuild with anything live does not commit (rebuild/live_channels.hpp).
    virtual std::vector<LiveChannel> live_channels(pg::Connection& target) = 0;
};

struct Rebuild {
    std::string target_role;
    std::chrono::milliseconds lock_timeout{};
    // The configured statement timeout (0: none); it bounds each keep rule's
    // where (rebuild::keep_timeout).
    std::chrono::milliseconds statement_timeout{};
    LoginObjects login_objects = LoginObjects::all;
    SchemaScripts scripts;
    std::vector<SequenceValue> sequences;
    // Populated materialized views, each after those it reads.
    std::vector<MaterializedView> matviews;
    // Run last, inside the transaction. A full reset passes none: the snapshot
    // was taken of a sandbox the post-refresh SQL had already run on, so its
    // rows hold the result, and running the SQL again would apply it twice.
    std::vector<PostSqlFile> post_sql;
    // Runs at the end of the clean step, as the target role (refresh: the
    // sandbox mark, written in the same transaction).
    std::function<void()> after_clean;
    // [[refresh.keep]]: rows of the sandbox read before the clean and written
    // back over the loaded rows (rebuild/keep.hpp).
    std::vector<config::KeepRule> keep;
    // The configured application profiles, in order; not owned.
    std::vector<Profile*> profiles;
};

struct RebuildOutcome {
    std::vector<copy::TableCopy> tables;
    int sequences_set = 0;
    int schema_entries_restored = 0;
    std::vector<KeptTable> kept;  // one per [[refresh.keep]] rule, in order
};

// Runs every step on `target`, inside its open transaction; each step is timed
// into `phases` (the names the refresh report shows) and is an interrupt
// boundary.
RebuildOutcome run(pg::Connection& target, const Rebuild& rebuild, RowSource& rows, std::vector<output::Phase>& phases);

}  // namespace sandboxctl::rebuild
