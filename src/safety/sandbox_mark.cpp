#include "safety/sandbox_mark.hpp"

#include <fmt/format.h>

#include <regex>

#include "core/log.hpp"

#include "core/own_schemas.hpp"

namespace sandboxctl::safety {
namespace {

constexpr const char* mark_prefix = "sandboxctl sandbox ";

const std::regex& mark_line() {
    static const std::regex pattern(R"((^|\n)sandboxctl sandbox ([0-9a-f-]{36})($|\n))");
    return pattern;
}

const std::regex& masking_line() {
    static const std::regex pattern(R"((^|\n)sandboxctl masking ([0-9a-f]{64})($|\n))");
    return pattern;
}

std::optional<std::string> database_comment(pg::Connection& conn) {
    auto r = conn.exec("SELECT pg_catalog.shobj_description(oid, 'pg_database') FROM pg_catalog.pg_database "
                       "WHERE datname = pg_catalog.current_database()");
    return r.rows() == 1 ? r.get_optional(0, 0) : std::nullopt;
}

}  // namespace

std::optional<SandboxMark> read_mark(pg::Connection& conn) {
    auto comment = database_comment(conn);
    std::smatch match;
    if (!comment || !std::regex_search(*comment, match, mark_line())) return std::nullopt;
    return SandboxMark{match[2].str()};
}

namespace {

// Whether the database holds anything beyond what an empty database has:
// relations, routines, types or schemas other than public, outside
// sandboxctl's own schemas.
bool holds_objects(pg::Connection& conn) {
    return conn.query_value(R"(
WITH user_ns AS (
  SELECT oid, nspname FROM pg_catalog.pg_namespace
   WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', $1, $2, $3)
     AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%')
SELECT EXISTS (SELECT 1 FROM user_ns WHERE nspname <> 'public')
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_class WHERE relnamespace IN (SELECT oid FROM user_ns))
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_proc WHERE pronamespace IN (SELECT oid FROM user_ns))
    OR EXISTS (SELECT 1 FROM pg_catalog.pg_type WHERE typnamespace IN (SELECT oid FROM user_ns)))",
                            {std::string(own_schemas::tracking), std::string(own_schemas::cache),
                             std::string(own_schemas::pool)}) == "t";
}

}  // namespace

SandboxMark write_mark(pg::Connection& conn, const std::optional<std::string>& id) {
    SandboxMark mark{id ? *id : conn.query_value("SELECT pg_catalog.gen_random_uuid()::text")};
    std::string comment = database_comment(conn).value_or("");
    comment = std::regex_replace(comment, mark_line(), "$1");
    if (!comment.empty() && comment.back() != '\n') comment += '\n';
    comment += mark_prefix + mark.id;
    conn.exec(fmt::format("COMMENT ON DATABASE {} IS {}", conn.quote_identifier(conn.database()),
                          conn.quote_literal(comment)));
    return mark;
}

std::string read_masking_state(pg::Connection& conn) {
    auto comment = database_comment(conn);
    std::smatch match;
    if (!comment || !std::regex_search(*comment, match, masking_line())) return "";
    return match[2].str();
}

void write_masking_state(pg::Connection& conn, const std::string& fingerprint) {
    std::string comment = database_comment(conn).value_or("");
    std::string without = std::regex_replace(comment, masking_line(), "$1");
    while (!without.empty() && without.back() == '\n') without.pop_back();
    std::string updated = without;
    if (!fingerprint.empty())
        updated += (updated.empty() ? "" : "\n") + std::string("sandboxctl masking ") + fingerprint;
    if (updated == comment) return;
    conn.exec(fmt::format("COMMENT ON DATABASE {} IS {}", conn.quote_identifier(conn.database()),
                          updated.empty() ? std::string("NULL") : conn.quote_literal(updated)));
}

bool restore_mark(pg::Connection& conn, const std::optional<SandboxMark>& recorded, const std::string& owner_role) {
    if (!recorded) return false;
    auto mark = read_mark(conn);
    if (mark && mark->id == recorded->id) return false;
    log::warning("database \"{}\" {} (its comment was changed), but sandboxctl's record of its last refresh on this "
                 "server names mark {}: writing that mark back",
                 conn.database(),
                 mark ? fmt::format("carries another sandbox mark, {},", mark->id) : "lost its sandbox mark",
                 recorded->id);
    conn.exec("BEGIN");
    try {
        conn.exec("SET LOCAL ROLE " + conn.quote_identifier(owner_role));
        write_mark(conn, recorded->id);
        conn.exec("COMMIT");
    } catch (...) {
        conn.exec("ROLLBACK");
        throw;
    }
    return true;
}

Check check_mark(pg::Connection& target, const std::string& init_database, const std::optional<SandboxMark>& recorded,
                 bool was_source) {
    Check check{"target is marked as a sandbox", Status::pass, ""};
    if (was_source) {
        check.status = Status::fail;
        check.reason = fmt::format("database \"{}\" was the source of an earlier refresh on this server, as "
                                   "sandboxctl's records show: it is prod, and sandboxctl never writes it (are "
                                   "--source and --target swapped?)",
                                   target.database());
    } else if (!init_database.empty() && init_database != target.database()) {
        check.status = Status::fail;
        check.reason = fmt::format("--init={} names the database to adopt, but the target is database \"{}\": "
                                   "check --target, or name the target's database",
                                   init_database, target.database());
    } else if (auto mark = read_mark(target); mark && (!recorded || recorded->id == mark->id)) {
        check.reason = fmt::format("database \"{}\" carries sandbox mark {}", target.database(), mark->id);
    } else if (mark) {
        check.status = Status::warn;
        check.reason = fmt::format("database \"{}\" carries sandbox mark {}, but sandboxctl's record of its last "
                                   "refresh on this server names mark {}; the refresh writes that one back",
                                   target.database(), mark->id, recorded->id);
    } else if (recorded) {
        check.status = Status::warn;
        check.reason = fmt::format("database \"{}\" lost its sandbox mark (its comment was changed), but "
                                   "sandboxctl's record of its last refresh names mark {} for this server and "
                                   "database oid; the refresh writes it back",
                                   target.database(), recorded->id);
    } else if (!holds_objects(target)) {
        check.reason =
            fmt::format("database \"{}\" is empty and not yet marked; the first refresh marks it", target.database());
    } else if (!init_database.empty()) {
        check.status = Status::warn;
        check.reason = fmt::format("database \"{}\" is not empty and not marked; --init={} replaces its content and "
                                   "marks it as a sandbox",
                                   target.database(), init_database);
    } else {
        check.status = Status::fail;
        check.reason = fmt::format("database \"{}\" is not empty and carries no sandbox mark, and no record of "
                                   "sandboxctl's shows it refreshed it: are --source and --target swapped? Only if "
                                   "it is the sandbox, and not prod, adopt it once with --init={}",
                                   target.database(), target.database());
    }
    return check;
}

Check check_source_unmarked(pg::Connection& source, const std::optional<SandboxMark>& recorded) {
    Check check{"source is not a sandbox", Status::pass, ""};
    if (auto mark = read_mark(source)) {
        check.status = Status::fail;
        check.reason = fmt::format("database \"{}\" carries sandbox mark {}: it is a sandbox sandboxctl refreshed, "
                                   "never prod (are --source and --target swapped?)",
                                   source.database(), mark->id);
    } else if (recorded) {
        check.status = Status::fail;
        check.reason = fmt::format("database \"{}\" carries no sandbox mark, but sandboxctl's record shows it "
                                   "refreshed it on this server as a sandbox (mark {}): it is not prod (are --source "
                                   "and --target swapped?)",
                                   source.database(), recorded->id);
    } else {
        check.reason = fmt::format("database \"{}\" carries no sandbox mark", source.database());
    }
    return check;
}

void require_mark(pg::Connection& target, const std::string& expected_id, const std::string& action) {
    auto mark = read_mark(target);
    if (!mark) {
        throw Error(ExitCode::refused,
                    fmt::format("refusing to {}: database \"{}\" carries no sandbox mark", action, target.database()),
                    "sandboxctl changes only databases it refreshed itself. Check --target; refresh the sandbox "
                    "once (with --init=DATABASE if it already holds data) to mark it.");
    }
    if (!expected_id.empty() && mark->id != expected_id) {
        throw Error(ExitCode::refused,
                    fmt::format("refusing to {}: the snapshot was taken from another database (sandbox mark {}), "
                                "not from \"{}\" (sandbox mark {})",
                                action, expected_id, target.database(), mark->id),
                    "Check --target, or take a snapshot of this sandbox with \"sandboxctl snapshot create\".");
    }
}

}  // namespace sandboxctl::safety
