#include "safety/preflight.hpp"

#include <fmt/format.h>

#include <set>
#include <utility>

#include "core/log.hpp"
#include "core/own_schemas.hpp"
#include "safety/records.hpp"
#include "safety/sandbox_mark.hpp"
#include "safety/source_session.hpp"

namespace sandboxctl::safety {
namespace {

struct ServerIdentity {
    std::string system_identifier;
    std::string started;
    std::string port;
    std::string database_oid;
};

ServerIdentity identify(pg::Connection& conn) {
    auto r =
        conn.exec("SELECT (SELECT system_identifier::text FROM pg_catalog.pg_control_system()), "
                  "pg_catalog.pg_postmaster_start_time()::text, COALESCE(pg_catalog.inet_server_port()::text, ''), "
                  "(SELECT oid::text FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database())");
    return {r.get(0, 0), r.get(0, 1), r.get(0, 2), r.get(0, 3)};
}

Check check_read_only(pg::Connection& source) {
    std::string value = source.query_value("SHOW transaction_read_only");
    if (value == "on") return {"source session is read-only", Status::pass, "transaction_read_only = on"};
    return {"source session is read-only", Status::fail, "transaction_read_only = " + value};
}

Check check_distinct(pg::Connection& source, pg::Connection& target) {
    Check check{"source and target are different databases", Status::pass, ""};
    ServerIdentity s = identify(source), t = identify(target);
    bool same_server = s.system_identifier == t.system_identifier && s.started == t.started && s.port == t.port;
    if (!same_server) {
        check.reason = "different servers";
    } else if (s.database_oid == t.database_oid) {
        check.status = Status::fail;
        check.reason = fmt::format("both connections reach database oid {} on the same server", s.database_oid);
    } else {
        check.reason = fmt::format("same server, database oids {} and {}", s.database_oid, t.database_oid);
    }
    return check;
}

Check check_target_role(pg::Connection& target, const std::string& target_role) {
    Check check{"target role is safe and owns the sandbox", Status::pass, ""};
    auto r = target.exec(R"(
SELECT r.rolsuper, (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),
       pg_catalog.pg_get_userbyid(d.datdba) = r.rolname,
       pg_catalog.pg_has_role(current_user, r.oid, 'MEMBER'), pg_catalog.pg_get_userbyid(d.datdba)
FROM pg_catalog.pg_roles r, pg_catalog.pg_database d
WHERE r.rolname = $1 AND d.datname = pg_catalog.current_database())",
                         {target_role});
    if (r.rows() == 0) {
        check.status = Status::fail;
        check.reason = fmt::format("role \"{}\" does not exist on the target server", target_role);
    } else if (r.get_bool(0, 0) || r.get_bool(0, 1)) {
        check.status = Status::fail;
        check.reason = r.get_bool(0, 0) ? fmt::format("role \"{}\" is a superuser", target_role)
                                        : fmt::format("the target login \"{}\" is a superuser", target.user());
    } else if (!r.get_bool(0, 2)) {
        check.status = Status::fail;
        check.reason =
            fmt::format("database \"{}\" is owned by \"{}\", not \"{}\"", target.database(), r.get(0, 4), target_role);
    } else if (!r.get_bool(0, 3)) {
        check.status = Status::fail;
        check.reason = fmt::format("login \"{}\" is not a member of \"{}\"", target.user(), target_role);
    } else {
        check.reason = fmt::format("\"{}\" is not superuser and owns database \"{}\"", target_role, target.database());
    }
    return check;
}

// Connects with the target's credentials to the source database and looks for
// any way they could change it. The source's server and database are taken
// from its connection, as libpq resolved them, never from its conninfo: a
// source given as "service=prod" would otherwise lend the probe its service
// and so the source's own user and password (a false FAIL that refused every
// refresh between two services, the Kubernetes setup).
Check check_target_cannot_write_source(pg::Connection& source, const pg::ConnInfo& target_info) {
    Check check{"target credentials cannot write the source", Status::pass, ""};
    pg::ConnInfo probe = target_info;
    // Explicit keywords win over the target's service, whose user and
    // password (the target's credentials) still fill in the rest.
    probe.set("host", source.host());
    probe.set("port", source.port());
    probe.set("dbname", source.database());
    if (auto address = source.host_address(); !address.empty()) probe.set("hostaddr", address);
    probe.set("connect_timeout", "10");
    std::optional<pg::Connection> conn;
    try {
        // It is still prod: read-only like every source session.
        conn.emplace(SourceSession::open_probe(probe, "doctor-probe"));
    } catch (const Error&) {
        check.reason = "they cannot connect to the source database";
        return check;
    }
    auto r = conn->exec(R"(
SELECT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),
       pg_catalog.has_database_privilege(pg_catalog.current_database(), 'CREATE'),
       (SELECT count(*) FROM pg_catalog.pg_namespace n
         WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
           AND pg_catalog.has_schema_privilege(n.oid, 'CREATE')),
       (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f')
           AND n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
           AND (pg_catalog.has_table_privilege(c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')
                OR pg_catalog.pg_has_role(c.relowner, 'USAGE'))))");
    std::vector<std::string> ways;
    if (r.get_bool(0, 0)) ways.push_back("the login is a superuser");
    if (r.get_bool(0, 1)) ways.push_back("it may CREATE in the database");
    if (r.get_int(0, 2) > 0) ways.push_back(fmt::format("it may CREATE in {} schema(s)", r.get(0, 2)));
    if (r.get_int(0, 3) > 0) ways.push_back(fmt::format("it may write {} relation(s)", r.get(0, 3)));
    if (ways.empty()) {
        check.reason = "they can connect but hold no write privilege";
    } else {
        check.status = Status::fail;
        check.reason = "they can connect to the source database and could write it: ";
        for (std::size_t i = 0; i < ways.size(); ++i) check.reason += (i ? "; " : "") + ways[i];
    }
    return check;
}

Check check_pg_dump(pg::Connection& source, const schema::PgTools& tools) {
    Check check{"pg_dump is new enough for the source", Status::pass, ""};
    int server_major = source.server_version() / 10000;
    int dump_major = 0;
    try {
        dump_major = tools.pg_dump_major_version();
    } catch (const Error& e) {
        return {check.name, Status::fail, e.what()};
    }
    check.reason = fmt::format("pg_dump {} for server {}", dump_major, server_major);
    if (dump_major < server_major) {
        check.status = Status::fail;
        check.reason += fmt::format(": pg_dump cannot dump a newer server; install postgresql-client-{} and point "
                                    "--pg-bin (or pg_bin) at it",
                                    server_major);
    }
    return check;
}

Check check_extensions(pg::Connection& target, const catalog::SourceCatalog& catalog) {
    Check check{"extensions exist in or can be created by the target", Status::pass, ""};
    std::vector<std::string> missing, to_create;
    for (const auto& object : catalog.objects) {
        if (object.kind != "extension") continue;
        auto r = target.exec(R"(
SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1),
       EXISTS (SELECT 1 FROM pg_catalog.pg_available_extension_versions v
               WHERE v.name = $1 AND (v.trusted OR (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user))))",
                             {object.identity});
        if (r.get_bool(0, 0)) continue;
        (r.get_bool(0, 1) ? to_create : missing).push_back(object.identity);
    }
    auto join = [](const std::vector<std::string>& names) {
        std::string out;
        for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
        return out;
    };
    if (!missing.empty()) {
        check.status = Status::fail;
        check.reason = "missing in the target and not creatable by its owner: " + join(missing);
    } else if (!to_create.empty()) {
        check.status = Status::warn;
        check.reason = "will be created (trusted): " + join(to_create);
    } else {
        check.reason = "none missing";
    }
    return check;
}

// An atomic refresh holds, until it commits, a lock on every object DROP OWNED
// deletes (relations, types, constraints, defaults, triggers, functions, ...)
// and on every relation it creates. They must fit in the shared lock table,
// which has max_locks_per_transaction slots per possible backend; the server
// can often go beyond that into spare shared memory, hence WARN before FAIL.
Check check_lock_budget(pg::Connection& source, pg::Connection& target, const std::string& source_role) {
    long long dropped = lockable_objects(target);
    long long created = source.query_integer("SELECT count(*) FROM pg_catalog.pg_class c WHERE c.relowner = "
                                             "(SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)",
                                             {source_role});
    long long needed = dropped + 2 * created;
    return judge_lock_budget(needed, lock_table_slots(target));
}

}  // namespace

// Objects in the sandbox owned by neither the target role nor the login
// (another member of the role made them) survive the clean. Where one has the
// name of a relation or schema the refresh creates, every refresh fails with
// "already exists"; the others are reported, since they outlive refreshes.
Check check_foreign_objects(pg::Connection& target, const catalog::SourceCatalog& catalog,
                            const std::string& source_role, const std::string& target_role) {
    Check check{"sandbox holds no objects of other roles in the way", Status::pass, ""};
    auto r = target.exec(R"(
WITH mine AS (SELECT oid FROM pg_catalog.pg_roles WHERE rolname IN ($1, session_user)),
     user_ns AS (SELECT oid, nspname, nspowner FROM pg_catalog.pg_namespace
                 WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', $2, $3, $4)
                   AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%')
SELECT 'schema', nspname, '', pg_catalog.pg_get_userbyid(nspowner) FROM user_ns
 WHERE nspname <> 'public' AND nspowner NOT IN (SELECT oid FROM mine)
UNION ALL
SELECT 'relation', n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner)
  FROM pg_catalog.pg_class c JOIN user_ns n ON n.oid = c.relnamespace
 WHERE c.relowner NOT IN (SELECT oid FROM mine) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
UNION ALL
SELECT 'routine', n.nspname, p.proname, pg_catalog.pg_get_userbyid(p.proowner)
  FROM pg_catalog.pg_proc p JOIN user_ns n ON n.oid = p.pronamespace
 WHERE p.proowner NOT IN (SELECT oid FROM mine)
 ORDER BY 1, 2, 3)",
                         {target_role, std::string(own_schemas::tracking), std::string(own_schemas::cache),
                          std::string(own_schemas::pool)});
    std::set<std::pair<std::string, std::string>> created;
    std::set<std::string> created_schemas;
    for (const auto& rel : catalog.relations) {
        if (rel.owner != source_role) continue;
        created.insert({rel.schema, rel.name});
        created_schemas.insert(rel.schema);
    }
    std::vector<std::string> in_the_way, others;
    for (int row = 0; row < r.rows(); ++row) {
        std::string kind = r.get(row, 0), schema = r.get(row, 1), name = r.get(row, 2), owner = r.get(row, 3);
        bool collides = kind == "schema" ? created_schemas.contains(schema) && schema != "public"
                                         : kind == "relation" && created.contains({schema, name});
        std::string what = kind == "schema" ? fmt::format("schema {} (owner {})", schema, owner)
                                            : fmt::format("{} {}.{} (owner {})", kind, schema, name, owner);
        (collides ? in_the_way : others).push_back(what);
    }
    auto join = [](const std::vector<std::string>& items) {
        std::string out;
        for (std::size_t i = 0; i < items.size() && i < 10; ++i) out += (i ? ", " : "") + items[i];
        if (items.size() > 10) out += fmt::format(" and {} more", items.size() - 10);
        return out;
    };
    if (!in_the_way.empty()) {
        check.status = Status::fail;
        check.reason = fmt::format("owned by other roles, which the refresh cannot drop, and named like what it "
                                   "creates: {}; reassign them to \"{}\" or drop them",
                                   join(in_the_way), target_role);
    } else if (!others.empty()) {
        check.status = Status::warn;
        check.reason = fmt::format("{} object(s) owned by other roles stay through every refresh: {}", others.size(),
                                   join(others));
    } else {
        check.reason = fmt::format("every object belongs to \"{}\" or the login", target_role);
    }
    return check;
}

Check judge_server_versions(int source_major, int target_major) {
    Check check{"PostgreSQL versions are supported", Status::pass,
                fmt::format("source {}, sandbox {}", source_major, target_major)};
    std::vector<std::string> problems;
    bool fail = false;
    for (auto [side, major] : {std::pair{"source", source_major}, std::pair{"sandbox", target_major}}) {
        if (major < oldest_supported_major) {
            fail = true;
            problems.push_back(fmt::format("the {} runs PostgreSQL {}, older than sandboxctl supports ({} to {}): "
                                           "it lacks catalog columns and settings sandboxctl uses",
                                           side, major, oldest_supported_major, newest_supported_major));
        } else if (major > newest_supported_major) {
            problems.push_back(
                fmt::format("the {} runs PostgreSQL {}, newer than sandboxctl supports ({} to {}): untested", side,
                            major, oldest_supported_major, newest_supported_major));
        } else if (major < oldest_tested_major) {
            problems.push_back(fmt::format("the {} runs PostgreSQL {}, supported but not tested (tested: {} to {})",
                                           side, major, oldest_tested_major, newest_supported_major));
        }
    }
    // pg_dump's output is meant for a server of its own version or newer: an
    // older sandbox may not know what a newer prod's schema uses.
    if (target_major < source_major) {
        problems.push_back(fmt::format("the sandbox's PostgreSQL {} is older than the source's {}: its schema may "
                                       "not load; run the sandbox on PostgreSQL {} or newer",
                                       target_major, source_major, source_major));
    }
    if (problems.empty()) return check;
    check.status = fail ? Status::fail : Status::warn;
    check.reason.clear();
    for (const auto& p : problems) check.reason += (check.reason.empty() ? "" : "; ") + p;
    return check;
}

long long lockable_objects(pg::Connection& conn) {
    return conn.query_integer(R"(
WITH user_ns AS (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname NOT IN ('pg_catalog', 'information_schema'))
SELECT (SELECT count(*) FROM pg_catalog.pg_class WHERE relnamespace IN (SELECT oid FROM user_ns))
     + (SELECT count(*) FROM pg_catalog.pg_type WHERE typnamespace IN (SELECT oid FROM user_ns))
     + (SELECT count(*) FROM pg_catalog.pg_proc WHERE pronamespace IN (SELECT oid FROM user_ns))
     + (SELECT count(*) FROM pg_catalog.pg_constraint WHERE connamespace IN (SELECT oid FROM user_ns))
     + (SELECT count(*) FROM pg_catalog.pg_attrdef) + (SELECT count(*) FROM pg_catalog.pg_trigger)
     + (SELECT count(*) FROM pg_catalog.pg_rewrite WHERE ev_class >= 16384)
     + (SELECT count(*) FROM pg_catalog.pg_policy))");
}

long long lock_table_slots(pg::Connection& conn) {
    return conn.query_integer(R"(
SELECT current_setting('max_locks_per_transaction')::bigint *
       (current_setting('max_connections')::bigint + current_setting('autovacuum_max_workers')::bigint + 1
        + current_setting('max_worker_processes')::bigint + current_setting('max_wal_senders')::bigint
        + current_setting('max_prepared_transactions')::bigint))");
}

Check judge_lock_budget(long long needed, long long budget) {
    Check check{"lock budget suffices for an atomic refresh", Status::pass,
                fmt::format("about {} locks needed, {} slots in the shared lock table", needed, budget)};
    // The lock table grows into the server's spare shared memory: a refresh
    // that held 11,400 locks against 7,808 nominal slots (1.46x) succeeded on
    // a default server. Up to 1.5x is normal, not worth a warning.
    if (needed > 2 * budget) {
        check.status = Status::fail;
        check.reason += "; raise max_locks_per_transaction on the sandbox's server";
    } else if (2 * needed > 3 * budget) {
        check.status = Status::warn;
        check.reason += "; if the refresh fails with \"out of shared memory\", raise max_locks_per_transaction";
    } else if (needed > budget) {
        check.reason += " (the excess fits in the server's spare shared memory)";
    }
    return check;
}

void require_read_only(pg::Connection& source) {
    Check check = check_read_only(source);
    if (check.status != Status::pass) {
        throw Error(ExitCode::refused,
                    "refusing to read the source: the session is not read-only (" + check.reason + ")",
                    "sandboxctl sets default_transaction_read_only=on; a server or pooler that overrides it "
                    "cannot be used as a source.");
    }
}

std::vector<Check> run_preflight(const PreflightInput& in) {
    std::vector<Check> checks;
    checks.push_back(check_read_only(in.source));
    checks.push_back(check_distinct(in.source, in.target));
    checks.push_back(check_target_role(in.target, in.target_role));
    checks.push_back(check_source_unmarked(in.source, recorded_mark(in.source, in.state_dir)));
    checks.push_back(check_mark(in.target, in.init_database, recorded_mark(in.target, in.state_dir),
                                recorded_as_source(in.target, in.state_dir)));
    checks.push_back(check_foreign_objects(in.target, in.catalog, in.source_role, in.target_role));
    checks.push_back(check_target_cannot_write_source(in.source, in.target_info));
    checks.push_back(check_pg_dump(in.source, in.tools));
    checks.push_back(judge_server_versions(in.source.server_version() / 10000, in.target.server_version() / 10000));
    checks.push_back(check_extensions(in.target, in.catalog));
    checks.push_back(check_lock_budget(in.source, in.target, in.source_role));
    for (const auto& c : checks) log::detail("{} {}: {}", status_label(c.status), c.name, c.reason);
    return checks;
}

void require_passed(const std::vector<Check>& checks) {
    std::string failed;
    for (const auto& c : checks) {
        if (c.status == Status::fail) failed += fmt::format("\n  FAIL {}: {}", c.name, c.reason);
    }
    if (!failed.empty()) {
        throw Error(ExitCode::refused, "refusing to refresh: safety checks failed" + failed,
                    "Run \"sandboxctl doctor\" for the full list of checks.");
    }
}

const char* status_label(Status status) {
    switch (status) {
        case Status::pass: return "PASS";
        case Status::warn: return "WARN";
        case Status::fail: return "FAIL";
    }
    return "?";
}

}  // namespace sandboxctl::safety
