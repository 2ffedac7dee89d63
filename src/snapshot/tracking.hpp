#pragma once
// Change tracking for delta resets. Every tracked table gets two triggers,
// enabled ALWAYS: a row trigger (a function per table that names its key
// columns) that appends the primary key of each row an
// INSERT, UPDATE or DELETE touches (old and new key) to sandboxctl.changes,
// and a statement trigger that marks the whole table on TRUNCATE. Tables
// without a primary key are marked whole on any write.
//
// Why this shape: the log is an append-only heap without indexes, so
// concurrent application transactions never wait on each other because of it
// (no unique key to collide on, no row to lock); reads do not fire triggers;
// a rolled-back write leaves no log row but its table may be counted dirty by
// an earlier write, never the reverse (the log row commits with the write).
// The trigger functions are SECURITY DEFINER so any application role can log.
//
// What the sandbox login could change without the reset noticing, it cannot
// change without a catalog write: the log's owner (the target role) keeps
// only INSERT and SELECT on it, so deleting log rows takes a GRANT first. The
// seal (tracking_seal) names every catalog row tracking depends on by oid and
// row version (xmin): disabling a trigger and enabling it again, replacing a
// trigger function, a GRANT on the log, all write such a row, and a row
// written later carries a newer xmin, so the seal recorded with the baseline
// no longer matches. See docs/manual.md#trust-model.
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::snapshot {

// Creates (or refreshes) the tracking schema, log and triggers. Must run as
// the target role, inside the caller's transaction.
void install_tracking(pg::Connection& conn, const std::vector<const catalog::Relation*>& tables);

struct DirtyTable {
    unsigned oid = 0;
    std::string name;    // schema.table
    bool whole = false;  // TRUNCATE, no primary key: restore the whole table
    long long keys = 0;  // distinct keys logged
};

// Locks every tracked table IN SHARE MODE until the transaction ends: first
// waits for the sessions writing to one or changing its definition (those a
// reset cannot end: a superuser's, another member's), then keeps them out.
// Taken before a reset reads the log and the catalog signal, so that neither
// a write nor DDL can land between what the reset read and its commit, where
// it would be lost from the log or missed by the signal. A table the role may
// no longer lock (its owner or privileges changed) is left out: that change
// moved the signal, so the reset is a full one anyway. SHARE conflicts with
// autovacuum too: one working on a tracked table is cancelled by the server
// after deadlock_timeout (1 s); an anti-wraparound one is not, and the reset
// then ends at its lock timeout, naming it.
void hold_tracked_tables(pg::Connection& conn);

// Tables written since the log was last cleared, from the log.
std::vector<DirtyTable> dirty_tables(pg::Connection& conn);
bool tracking_installed(pg::Connection& conn);
// Empties the log (the caller's role, its owner, grants itself DELETE for
// the statement).
void clear_changes(pg::Connection& conn);

// A digest of the catalog rows change tracking depends on: the tracking
// schema and everything in it (log, baseline, trigger functions, their
// columns, triggers, rules and policies), each tracking trigger (oid, row
// version, enabled state), each tracked table's identity (name and schema)
// and its columns' row versions (ALTER COLUMN ... TYPE ... USING rewrites
// rows without firing triggers). Cheap: a few catalog index lookups.
//
// Two digests ("2:REST:OWN"): OWN covers the catalog rows of the log and the
// baseline themselves (their privileges), the only ones a delta reset
// rewrites, so that it can take that part afresh and keep the rest.
std::string tracking_seal(pg::Connection& conn);
// Whether `seal` has the format tracking_seal writes (an older sandboxctl's
// seal is one digest).
bool has_current_seal_format(const std::string& seal);

// The baseline the log counts from: which snapshot, taken or reset when.
// `signal` is the catalog signal (see fingerprint.hpp) as the baseline's
// transaction left the catalogs, written last, just before its commit, with
// the tracking seal and the cache seal (cache.hpp) of that moment. Seals are
// empty when the baseline was written by a version without them.
struct Baseline {
    std::string snapshot;
    std::string fingerprint;
    std::string signal;
    std::string since;
    std::string tracking_seal;
    std::string cache_seal;
};
std::optional<Baseline> read_baseline(pg::Connection& conn);
void write_baseline(pg::Connection& conn, const std::string& snapshot, const std::string& fingerprint);
// The baseline a delta reset leaves, without reading the whole catalog again:
// its only catalog writes were pg_trigger rows (user triggers paused and
// restored) and pg_class rows (the privileges of the log and the baseline),
// so the signal is `signal` (taken at the start of this transaction) with
// those two catalogs' entries afresh, the tracking seal `previous`'s with its
// OWN part afresh, and the cache seal `previous`'s.
void write_baseline_after_delta(pg::Connection& conn, const Baseline& previous, const std::string& fingerprint,
                                const std::string& signal);
// Writes `baseline` back as it was read (install_tracking recreates the
// table): a snapshot create that fails must leave the previous baseline.
// `reseal_tracking`: the tracking seal is taken afresh (sandboxctl itself
// reinstalled tracking that was found intact), else kept as it was.
void put_back_baseline(pg::Connection& conn, const Baseline& baseline, bool reseal_tracking);

}  // namespace sandboxctl::snapshot
