#include "harness/fidelity.hpp"

#include <fstream>
#include <regex>
#include <sstream>

#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "pg/connection.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::test {
namespace {

// Keeps the dump entries whose header names `owner` (or the database owner
// pseudo-role), and removes ownership statements, psql meta-commands and
// header comments, so dumps of two databases owned by different roles compare.
std::string normalize_schema(const std::string& dump, const std::string& owner) {
    std::string out;
    std::istringstream in(dump);
    std::string line;
    bool keep = true;
    std::vector<std::string> pending;
    static const std::regex header(R"(^-- Name: .*; Owner: (.*)$)");
    while (std::getline(in, line)) {
        std::smatch match;
        if (std::regex_match(line, match, header)) {
            keep = match[1] == owner || match[1] == "pg_database_owner" || match[1] == "-";
            continue;
        }
        if (line.empty() || line.starts_with("--") || line.starts_with("\\")) continue;
        // Session settings land before whichever entry comes first in each dump.
        if (line.starts_with("SET ") || line.starts_with("SELECT pg_catalog.set_config")) continue;
        if (line.find(" OWNER TO ") != std::string::npos) continue;
        // pg_attver=N: an attribute option Debian 13's PostgreSQL 17.12 sets
        // itself on every column, which pg_dump 18 dumps: the server's, not
        // the schema's (sandboxctl leaves it out of every restore).
        if (line.starts_with("ALTER TABLE ONLY ") && line.find("pg_attver=") != std::string::npos) {
            static const std::regex attver(R"(pg_attver=\d+(, )?|, pg_attver=\d+)");
            line = std::regex_replace(line, attver, "");
            if (line.ends_with(" SET ();")) continue;
        }
        // sandboxctl's change-tracking triggers are not part of the application's schema.
        if (line.find("sandboxctl_track_") != std::string::npos) continue;
        if (keep) out += line + "\n";
    }
    return out;
}

std::string dump_schema(const Cluster& cluster, const std::string& database) {
    auto result = run_process({{(cluster.bin_dir() / "pg_dump").string(), "--schema-only", "--no-acl",
                                "--exclude-schema=sandboxctl*", "--dbname=" + cluster.admin_conninfo(database)},
                               {}});
    if (!result.succeeded()) throw std::runtime_error("pg_dump failed: " + result.err);
    return result.out;
}

}  // namespace

DatabaseState capture_state(const Cluster& cluster, const std::string& database, const std::string& owner) {
    return capture_rows(cluster, database, owner, normalize_schema(dump_schema(cluster, database), owner));
}

DatabaseState capture_rows(const Cluster& cluster, const std::string& database, const std::string& owner,
                           std::string known_schema) {
    auto info = pg::ConnInfo::parse(cluster.admin_conninfo(database), "test");
    auto conn = pg::Connection::open(info, "test-fidelity");
    DatabaseState state;
    auto relations = conn.exec(R"(
SELECT c.relkind, pg_catalog.quote_ident(n.nspname) || '.' || pg_catalog.quote_ident(c.relname)
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'S') AND pg_get_userbyid(c.relowner) = $1 AND n.nspname NOT LIKE 'sandboxctl%'
ORDER BY 2)",
                               {owner});
    for (int row = 0; row < relations.rows(); ++row) {
        std::string name = relations.get(row, 1);
        if (relations.get(row, 0) == "r") {
            auto hash = verify::hash_table(conn, name);
            state.tables[name] = std::to_string(hash.rows) + ":" + hash.digest;
        } else {
            auto seq = conn.exec("SELECT last_value, is_called FROM " + name);
            state.sequences[name] = seq.get(0, 0) + "/" + seq.get(0, 1);
        }
    }
    state.schema = std::move(known_schema);
    return state;
}

std::vector<std::string> foreign_owned_objects(const Cluster& cluster, const std::string& database,
                                               const std::string& owner) {
    auto info = pg::ConnInfo::parse(cluster.admin_conninfo(database), "test");
    auto conn = pg::Connection::open(info, "test-fidelity");
    auto r = conn.exec(R"(
SELECT 'relation ' || c.oid::regclass::text || ' owned by ' || pg_get_userbyid(c.relowner)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
   AND pg_get_userbyid(c.relowner) <> $1
UNION ALL
SELECT 'function ' || p.oid::regprocedure::text || ' owned by ' || pg_get_userbyid(p.proowner)
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND pg_get_userbyid(p.proowner) <> $1
UNION ALL
SELECT 'type ' || format_type(t.oid, NULL) || ' owned by ' || pg_get_userbyid(t.typowner)
  FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
   AND pg_get_userbyid(t.typowner) <> $1
UNION ALL
SELECT 'schema ' || nspname || ' owned by ' || pg_get_userbyid(nspowner) FROM pg_namespace
 WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'public') AND nspname NOT LIKE 'pg_toast%'
   AND nspname NOT LIKE 'pg_temp%' AND pg_get_userbyid(nspowner) <> $1)",
                       {owner});
    std::vector<std::string> out;
    for (int row = 0; row < r.rows(); ++row) out.push_back(r.get(row, 0));
    return out;
}

std::string describe_differences(const DatabaseState& expected, const DatabaseState& actual) {
    std::ostringstream out;
    auto compare = [&](const char* what, const std::map<std::string, std::string>& a,
                       const std::map<std::string, std::string>& b) {
        for (const auto& [name, value] : a) {
            auto it = b.find(name);
            if (it == b.end())
                out << what << ' ' << name << " missing\n";
            else if (it->second != value)
                out << what << ' ' << name << ": expected " << value << ", got " << it->second << '\n';
        }
        for (const auto& [name, value] : b) {
            if (!a.contains(name)) out << what << ' ' << name << " unexpected\n";
        }
    };
    compare("table", expected.tables, actual.tables);
    compare("sequence", expected.sequences, actual.sequences);
    if (expected.schema != actual.schema) {
        TempDir dir("sandboxctl-schema-diff");
        std::ofstream(dir / "expected.sql") << expected.schema;
        std::ofstream(dir / "actual.sql") << actual.schema;
        auto diff = run_process({{"diff", "-u", (dir / "expected.sql").string(), (dir / "actual.sql").string()}, {}});
        out << "schema differs:\n" << diff.out << '\n';
    }
    return out.str();
}

}  // namespace sandboxctl::test
