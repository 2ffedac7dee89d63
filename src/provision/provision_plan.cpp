#include "provision/provision_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "core/error.hpp"
#include "pg/conninfo.hpp"
#include "pg/sql.hpp"

namespace sandboxctl::provision {
namespace {

// A psql script carries the names inside meta-commands too (\echo), which
// end at a newline: a name with a control character is refused, not quoted.
std::string usable_name(std::string name, const char* what) {
    if (name.empty()) throw usage_error(fmt::format("provision needs {}", what));
    bool control = std::any_of(name.begin(), name.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; });
    if (control) throw usage_error(fmt::format("{} holds a control character", what), "Rename it.");
    return name;
}

std::string required_keyword(const std::optional<std::string>& conninfo, const char* side, const char* keyword,
                             const char* what) {
    if (!conninfo) {
        throw usage_error(
            fmt::format("provision needs the {} connection string", side),
            fmt::format("Give --{} or set it in the configuration file: provision takes {} from it.", side, what));
    }
    auto value = pg::ConnInfo::parse(*conninfo, side).get(keyword);
    if (!value) {
        throw usage_error(fmt::format("the {} connection string names no {}", side, keyword),
                          fmt::format("provision takes {} from it: add {}=NAME.", what, keyword));
    }
    return usable_name(*value, what);
}

std::string role_exists(const std::string& role) {
    return std::string(
        sql::format("SELECT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = {})", sql::Literal(role)).text());
}

Step dump_role_step(const Names& names) {
    sql::Identifier dump(names.dump_role);
    // BYPASSRLS: row-level security would hide rows from a copy, which
    // sandboxctl refuses; the login reads only what it is granted below.
    return {"The read-only dump login: every session it opens is read-only; row-level security hides no row from it.",
            "",
            fmt::format("role \"{}\"", names.dump_role),
            role_exists(names.dump_role),
            std::string(sql::format("CREATE ROLE {} LOGIN BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE", dump).text()),
            {std::string(sql::format("ALTER ROLE {} SET default_transaction_read_only = on", dump).text())}};
}

// What pg_dump and sandboxctl's copy read as the dump login: the schemas that
// hold the application role's objects, and its tables, materialized views
// and sequences. Nothing another role owns (a provisioner's table stays
// unreadable), and default privileges so that what the application role
// creates later is readable too.
Step dump_grants_step(const Names& names) {
    auto app_role = names.app_role.empty()
                        ? sql::Fragment("(SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database "
                                        "WHERE datname = pg_catalog.current_database())")
                        : sql::format("{}", sql::Literal(names.app_role));
    auto block = sql::format(R"(DO $sandboxctl$
DECLARE
  app_role name := {};
  dump_role name := {};
  app oid;
  item record;
BEGIN
  SELECT oid INTO app FROM pg_catalog.pg_roles WHERE rolname = app_role;
  IF app IS NULL THEN
    RAISE EXCEPTION 'role "%" (prod''s owner role) does not exist', app_role;
  END IF;
  FOR item IN
    SELECT n.nspname FROM pg_catalog.pg_namespace n
     WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
       AND (n.nspowner = app
            OR EXISTS (SELECT FROM pg_catalog.pg_class c WHERE c.relnamespace = n.oid AND c.relowner = app))
  LOOP
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO %I', item.nspname, dump_role);
  END LOOP;
  FOR item IN
    SELECT c.oid::regclass AS relation FROM pg_catalog.pg_class c
     WHERE c.relowner = app AND c.relkind IN ('r', 'p', 'm', 'S')
  LOOP
    EXECUTE pg_catalog.format('GRANT SELECT ON %s TO %I', item.relation, dump_role);
  END LOOP;
  EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT SELECT ON TABLES TO %I', app_role, dump_role);
  EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT SELECT ON SEQUENCES TO %I', app_role, dump_role);
  EXECUTE pg_catalog.format('ALTER DEFAULT PRIVILEGES FOR ROLE %I GRANT USAGE ON SCHEMAS TO %I', app_role, dump_role);
END
$sandboxctl$)",
                             app_role, sql::Literal(names.dump_role));
    return {"What the dump login may read in prod: the application role's schemas, tables, materialized views and "
            "sequences, now and later.",
            names.prod_database,
            "",
            "",
            "",
            {std::string(sql::format("GRANT CONNECT ON DATABASE {} TO {}", sql::Identifier(names.prod_database),
                                     sql::Identifier(names.dump_role))
                             .text()),
             std::string(block.text())}};
}

Step owner_role_step(const std::string& role, const std::string& database) {
    return {
        fmt::format("The owner of sandbox \"{}\": no login, no superuser, no CREATEDB.", database),
        "",
        fmt::format("role \"{}\"", role),
        role_exists(role),
        std::string(
            sql::format("CREATE ROLE {} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", sql::Identifier(role)).text()),
        {}};
}

Step login_step(const Member& member) {
    sql::Identifier login(member.login);
    return {fmt::format("The login of sandbox \"{}\": works as its owner through membership.", member.database),
            "",
            fmt::format("role \"{}\"", member.login),
            role_exists(member.login),
            std::string(sql::format("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE", login).text()),
            {std::string(sql::format("GRANT {} TO {}", sql::Identifier(member.owner_role), login).text())}};
}

// Only its owner's members may connect: with a login per sandbox, an agent's
// credentials reach its own sandbox and no other.
Step database_step(const Member& member, const char* what) {
    sql::Identifier database(member.database);
    return {
        fmt::format("{}, owned by \"{}\".", what, member.owner_role),
        "",
        fmt::format("database \"{}\"", member.database),
        std::string(sql::format("SELECT EXISTS (SELECT FROM pg_catalog.pg_database WHERE datname = {})",
                                sql::Literal(member.database))
                        .text()),
        std::string(sql::format("CREATE DATABASE {} OWNER {}", database, sql::Identifier(member.owner_role)).text()),
        {std::string(sql::format("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC", database).text())}};
}

// "ARRAY['a', 'b']::name[]" of quoted literals.
std::string name_array(const std::vector<std::string>& names) {
    std::vector<sql::Literal> literals;
    for (const auto& n : names) literals.emplace_back(n);
    return fmt::format("ARRAY[{}]::name[]", sql::join(literals, ", ").text());
}

// Before anything is created: what already exists must fit the plan, or
// running it would hand a sandbox login more than a sandbox (a superuser's
// or prod owner's rights, through the GRANT of its owner role) or change
// prod (a swapped --source/--target names prod as the sandbox).
Step checks_step(const Names& names) {
    std::vector<std::string> sandbox_roles{names.sandbox.owner_role, names.sandbox.login};
    std::vector<std::string> databases{names.sandbox.database}, owners{names.sandbox.owner_role};
    for (const auto& m : names.members) {
        sandbox_roles.insert(sandbox_roles.end(), {m.owner_role, m.login});
        databases.push_back(m.database);
        owners.push_back(m.owner_role);
    }
    auto block = fmt::format(R"(DO $sandboxctl$
DECLARE
  sandbox_roles name[] := {};
  sandbox_databases name[] := {};
  sandbox_owners name[] := {};
  prod name := {};
  dump_role name := {};
  prod_owner oid;
  problem text;
BEGIN
  SELECT datdba INTO prod_owner FROM pg_catalog.pg_database WHERE datname = prod;
  IF prod_owner IS NULL THEN
    RAISE EXCEPTION 'prod''s database "%" does not exist on this server', prod;
  END IF;
  IF pg_catalog.shobj_description((SELECT oid FROM pg_catalog.pg_database WHERE datname = prod), 'pg_database')
     ~ '(^|
)sandboxctl sandbox ' THEN
    RAISE EXCEPTION 'database "%" carries sandboxctl''s sandbox mark: it is a sandbox, not prod (are --source and --target swapped?)', prod;
  END IF;
  SELECT pg_catalog.string_agg(pg_catalog.format('role "%s" %s', r.rolname,
           CASE WHEN r.rolsuper THEN 'is a superuser'
                WHEN r.oid = prod_owner THEN 'owns prod'
                ELSE 'is a member of prod''s owner role' END), '; ')
    INTO problem
    FROM pg_catalog.pg_roles r
   WHERE (r.rolname = ANY (sandbox_roles) OR r.rolname = dump_role AND r.rolsuper)
     AND (r.rolsuper OR (r.rolname = ANY (sandbox_roles) AND pg_catalog.pg_has_role(r.oid, prod_owner, 'MEMBER')));
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'refusing to provision: %', problem
      USING HINT = 'A sandbox role (owner or login) may not be a superuser nor reach prod''s owner role; the dump login may not be a superuser. Choose other names.';
  END IF;
  SELECT pg_catalog.string_agg(pg_catalog.format('database "%s" exists and is owned by "%s", not by "%s"', d.datname,
           pg_catalog.pg_get_userbyid(d.datdba), o.owner), '; ')
    INTO problem
    FROM pg_catalog.pg_database d
    JOIN unnest(sandbox_databases, sandbox_owners) AS o(database, owner) ON o.database = d.datname
   WHERE pg_catalog.pg_get_userbyid(d.datdba) <> o.owner;
  IF problem IS NOT NULL THEN
    RAISE EXCEPTION 'refusing to provision: %', problem
      USING HINT = 'Is the target prod, or another application''s database? Check --target and --target-role.';
  END IF;
END
$sandboxctl$)",
                             name_array(sandbox_roles), name_array(databases), name_array(owners),
                             sql::Literal(names.prod_database).text(), sql::Literal(names.dump_role).text());
    return {"First, what exists must fit: no sandbox role a superuser or in prod's owner role, no database in the "
            "way, prod not a sandbox.",
            "",
            "",
            "",
            "",
            {block}};
}

void add_member_roles(std::vector<Step>& steps, const Member& member, const std::vector<std::string>& made) {
    if (std::find(made.begin(), made.end(), member.owner_role) == made.end())
        steps.push_back(owner_role_step(member.owner_role, member.database));
    if (std::find(made.begin(), made.end(), member.login) == made.end()) steps.push_back(login_step(member));
}

constexpr std::size_t max_name_bytes = 63;

void add_members(Names& names, int sandboxes, bool login_per_sandbox);
void require_distinct_names(const Names& names, bool login_per_sandbox);

}  // namespace

Names names_from(const config::Settings& settings, int sandboxes, bool login_per_sandbox) {
    if (sandboxes < 0 || sandboxes > 1000) {
        throw usage_error(fmt::format("--sandboxes {} is not a number of sandboxes", sandboxes),
                          "Give 0 (the sandbox alone) up to 1000.");
    }
    if (login_per_sandbox && sandboxes == 0)
        throw usage_error("--login-per-sandbox needs --sandboxes N", "It gives each of the N sandboxes its own login.");
    Names names;
    names.prod_database = required_keyword(settings.source, "source", "dbname", "prod's database name");
    names.dump_role = required_keyword(settings.source, "source", "user", "the dump login's name");
    names.app_role = settings.source_role ? usable_name(*settings.source_role, "--source-role") : "";
    names.sandbox.database = required_keyword(settings.target, "target", "dbname", "the sandbox database's name");
    names.sandbox.login = required_keyword(settings.target, "target", "user", "the sandbox login's name");
    if (!settings.target_role) {
        throw usage_error("provision needs the name of the sandbox owner role",
                          "Give --target-role NAME (or [target] role in the configuration): the role that owns the "
                          "sandbox, of which the target's user is a member.");
    }
    names.sandbox.owner_role = usable_name(*settings.target_role, "--target-role");
    if (names.sandbox.login == names.sandbox.owner_role) {
        throw usage_error(fmt::format("the target's user \"{}\" is the sandbox owner role", names.sandbox.login),
                          "Log in as a member of the owner role: a full reset drops what the owner role owns, and the "
                          "golden cache belongs to the login.");
    }
    if (names.dump_role == names.app_role || names.dump_role == names.sandbox.owner_role ||
        names.dump_role == names.sandbox.login) {
        throw usage_error(fmt::format("the dump login \"{}\" is also another role of the setup", names.dump_role),
                          "Give the source a login of its own: it is made read-only.");
    }
    if (names.prod_database == names.sandbox.database)
        throw usage_error("the source and the target name the same database", "Check --source and --target.");
    add_members(names, sandboxes, login_per_sandbox);
    require_distinct_names(names, login_per_sandbox);
    return names;
}

namespace {

void add_members(Names& names, int sandboxes, bool login_per_sandbox) {
    for (int k = 1; k <= sandboxes; ++k) {
        Member member{fmt::format("{}-{}", names.sandbox.database, k), names.sandbox.owner_role, names.sandbox.login};
        if (login_per_sandbox) {
            member.owner_role = fmt::format("{}_{}", names.sandbox.owner_role, k);
            member.login = fmt::format("{}_{}", names.sandbox.login, k);
        }
        names.members.push_back(std::move(member));
    }
}

void require_distinct_names(const Names& names, bool login_per_sandbox) {
    // PostgreSQL cuts a longer name to 63 bytes: two would become one.
    auto require_short = [](const std::string& name) {
        if (name.size() > max_name_bytes) {
            throw usage_error(fmt::format("the name \"{}\" is longer than {} bytes", name, max_name_bytes),
                              "PostgreSQL would cut it (and a member's suffix) off; choose a shorter one.");
        }
    };
    std::set<std::string> roles{names.dump_role, names.sandbox.owner_role, names.sandbox.login};
    std::set<std::string> databases{names.prod_database, names.sandbox.database};
    std::size_t expected_roles = 3, expected_databases = 2;
    for (const auto& name : roles) require_short(name);
    for (const auto& name : databases) require_short(name);
    for (const auto& member : names.members) {
        require_short(member.database);
        databases.insert(member.database);
        ++expected_databases;
        if (!login_per_sandbox) continue;
        require_short(member.owner_role);
        require_short(member.login);
        roles.insert(member.owner_role);
        roles.insert(member.login);
        expected_roles += 2;
    }
    if (!names.app_role.empty() && roles.contains(names.app_role)) {
        throw usage_error(fmt::format("role \"{}\" would be prod's owner and a role of the sandbox", names.app_role),
                          "Check --source-role and --target-role.");
    }
    if (roles.size() != expected_roles || databases.size() != expected_databases) {
        throw usage_error("two roles or two databases of the setup would have the same name (a pool member's name, "
                          "NAME-K or NAME_K, is another's)",
                          "Choose names that do not end in -K or _K like the members' do.");
    }
}

}  // namespace

std::vector<Step> plan_steps(const Names& names) {
    std::vector<Step> steps{checks_step(names), dump_role_step(names), dump_grants_step(names)};
    std::vector<std::string> made;
    add_member_roles(steps, names.sandbox, made);
    made = {names.sandbox.owner_role, names.sandbox.login};
    steps.push_back(database_step(names.sandbox, "The sandbox: refresh fills it, snapshots are taken from it"));
    for (const auto& member : names.members) {
        add_member_roles(steps, member, made);
        steps.push_back(database_step(member, "A pool member"));
    }
    return steps;
}

std::vector<std::string> pool_targets(const Names& names, const std::string& target_conninfo) {
    std::vector<std::string> targets;
    for (const auto& member : names.members) {
        auto info = pg::ConnInfo::parse(target_conninfo, "target");
        info.set("dbname", member.database);
        info.set("user", member.login);
        targets.push_back(info.without_password());
    }
    return targets;
}

}  // namespace sandboxctl::provision
