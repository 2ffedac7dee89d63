#include "pool/lease_table.hpp"

#include <fmt/format.h>

#include "core/own_schemas.hpp"

namespace sandboxctl::pool {
namespace {

std::string with_schema(const char* sql) {
    return fmt::format(fmt::runtime(sql), fmt::arg("pool", own_schemas::pool),
                       fmt::arg("tracking", own_schemas::tracking));
}

constexpr const char* iso_utc = "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'";

}  // namespace

void create_lease_table(pg::Connection& conn) {
    conn.exec("BEGIN");
    // Two first syncs of one member: one creates, the other waits and finds it.
    conn.exec("SELECT pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('sandboxctl_pool'))");
    conn.exec(with_schema(R"(
CREATE SCHEMA IF NOT EXISTS {pool};
CREATE TABLE IF NOT EXISTS {pool}.lease (
  one boolean PRIMARY KEY DEFAULT true CHECK (one),
  state text NOT NULL CHECK (state IN ('free', 'leased', 'dirty')),
  snapshot text NOT NULL DEFAULT '',
  lease_hash text,
  holder text,
  since timestamptz,
  expires timestamptz);
INSERT INTO {pool}.lease (state) VALUES ('dirty') ON CONFLICT DO NOTHING)"));
    conn.exec("COMMIT");
}

std::optional<LeaseRow> read_lease(pg::Connection& conn) {
    if (conn.query_value(with_schema("SELECT pg_catalog.to_regclass('{pool}.lease') IS NOT NULL")) != "t")
        return std::nullopt;
    auto r = conn.exec(fmt::format(fmt::runtime(with_schema(R"(
SELECT state, snapshot, COALESCE(holder, ''), COALESCE(to_char(since AT TIME ZONE 'UTC', {{iso}}), ''),
       COALESCE(to_char(expires AT TIME ZONE 'UTC', {{iso}}), ''), COALESCE(expires < pg_catalog.now(), false),
       COALESCE(lease_hash, '')
  FROM {pool}.lease)")),
                                   fmt::arg("iso", iso_utc)));
    if (r.rows() != 1) return std::nullopt;
    return LeaseRow{r.get(0, 0), r.get(0, 1), r.get(0, 2), r.get(0, 3), r.get(0, 4), r.get_bool(0, 5), r.get(0, 6)};
}

std::optional<std::string> claim(pg::Connection& conn, const std::string& lease_hash, const std::string& holder,
                                 std::chrono::milliseconds ttl) {
    // The transaction-level advisory lock is taken before the row is looked
    // at: a second caller gets false at once instead of queueing behind the
    // first one's row lock only to find the member leased.
    auto r = conn.exec(fmt::format(fmt::runtime(with_schema(R"(
WITH claimer AS (SELECT pg_catalog.pg_try_advisory_xact_lock(pg_catalog.hashtext('sandboxctl_pool.lease')) AS alone)
UPDATE {pool}.lease SET state = 'leased', lease_hash = $1, holder = $2, since = pg_catalog.now(),
       expires = pg_catalog.now() + $3::bigint * interval '1 millisecond'
  FROM claimer
 WHERE claimer.alone AND state = 'free' AND NOT EXISTS (SELECT FROM {tracking}.changes)
RETURNING to_char(expires AT TIME ZONE 'UTC', {{iso}}))")),
                                   fmt::arg("iso", iso_utc)),
                       {lease_hash, holder, std::to_string(ttl.count())});
    if (r.rows() == 1) return r.get(0, 0);
    // Written to after its reset (a session that outlived the release): not
    // lent again before a reset.
    conn.exec(with_schema("UPDATE {pool}.lease SET state = 'dirty' WHERE state = 'free' AND EXISTS (SELECT FROM "
                          "{tracking}.changes)"));
    return std::nullopt;
}

bool take_for_reset(pg::Connection& conn, const LeaseRow& seen) {
    auto r = conn.exec(with_schema(R"(
UPDATE {pool}.lease SET state = 'dirty', lease_hash = NULL, holder = NULL, since = NULL, expires = NULL
 WHERE state = $1 AND COALESCE(lease_hash, '') = $2)"),
                       {seen.state, seen.lease_hash});
    return r.affected_rows() == 1;
}

void mark_free(pg::Connection& conn, const std::string& instance) {
    conn.exec(with_schema(R"(
UPDATE {pool}.lease SET state = 'free', snapshot = $1, lease_hash = NULL, holder = NULL, since = NULL,
       expires = NULL)"),
              {instance});
}

bool free_if_leased(pg::Connection& conn, const std::string& lease_hash, const std::string& instance) {
    auto r = conn.exec(with_schema(R"(
UPDATE {pool}.lease SET state = 'free', snapshot = $2, lease_hash = NULL, holder = NULL, since = NULL,
       expires = NULL
 WHERE state = 'leased' AND lease_hash = $1)"),
                       {lease_hash, instance});
    return r.affected_rows() == 1;
}

}  // namespace sandboxctl::pool
