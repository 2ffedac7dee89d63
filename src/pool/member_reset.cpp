#include "pool/member_reset.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "plan/session_setup.hpp"
#include "safety/preflight.hpp"
#include "safety/sandbox_mark.hpp"
#include "snapshot/store.hpp"
#include "snapshot/tracking.hpp"

namespace sandboxctl::pool {
namespace {

Error not_a_member(const Member& member, const std::string& why, const std::string& hint) {
    return Error(ExitCode::refused, fmt::format("refusing to use {} as a pool member: {}", member.display(), why),
                 hint);
}

std::string take_new_member(pg::Connection& conn, const Member& member, PoolSnapshot& pool) {
    if (safety::check_mark(conn, "").status == safety::Status::fail) {
        throw not_a_member(member,
                           fmt::format("database \"{}\" holds objects and carries no sandbox mark (prod? a mistyped "
                                       "target?)",
                                       conn.database()),
                           "A member is an empty database (\"sandboxctl provision --sandboxes N\" makes them): check "
                           "[pool] targets.");
    }
    // Listed before it is marked: a run killed in between leaves a listed
    // mark that no database carries, never a marked member the record lacks.
    auto id = conn.query_value("SELECT pg_catalog.gen_random_uuid()::text");
    pool.record.members.push_back(id);
    save_record(pool.store_root, pool.record);
    conn.exec("BEGIN");
    safety::write_mark(conn, id);
    conn.exec("COMMIT");
    return id;
}

// A member's login is a plain member of its owner role: a superuser's reset
// would DROP OWNED as a superuser (what it owns anywhere in the database,
// grants on prod included), and a login that owns the database would see its
// own lease (which it owns) dropped by every full reset.
void require_member_login(pg::Connection& conn, const Member& member) {
    auto r = conn.exec("SELECT r.rolsuper, d.datdba = r.oid FROM pg_catalog.pg_roles r, pg_catalog.pg_database d "
                       "WHERE r.rolname = current_user AND d.datname = pg_catalog.current_database()");
    if (r.rows() == 1 && r.get_bool(0, 0)) {
        throw not_a_member(member, fmt::format("its login \"{}\" is a superuser", conn.user()),
                           "Give each member a login of its own, a member of the database's owner role "
                           "(\"sandboxctl provision --sandboxes N --login-per-sandbox\" makes them).");
    }
    if (r.rows() == 1 && r.get_bool(0, 1)) {
        throw not_a_member(member, fmt::format("its login \"{}\" owns the database", conn.user()),
                           "Log in as a member of the owner role, not as the owner: a reset drops what the owner "
                           "owns (\"sandboxctl provision --sandboxes N --login-per-sandbox\" makes such logins).");
    }
}

}  // namespace

PoolSnapshot load_pool_snapshot(const config::Settings& settings) {
    const auto& name = require_pool(settings).snapshot;
    snapshot::Store::validate_name(name);
    snapshot::Store store(settings.snapshot_dir);
    if (!store.exists(name)) {
        throw usage_error(
            fmt::format("the pool's snapshot \"{}\" does not exist in \"{}\"", name, store.root().string()),
            fmt::format("Take it of the sandbox after its refresh: \"sandboxctl refresh --snapshot {}\" "
                        "or \"sandboxctl snapshot create {}\".",
                        name, name));
    }
    PoolSnapshot pool{store.root(), store.path_of(name), snapshot::load_manifest(store.path_of(name)),
                      load_record(store.root(), name)};
    if (pool.manifest.sandbox_id.empty()) {
        throw Error(ExitCode::refused, fmt::format("snapshot \"{}\" does not record the sandbox it was taken of", name),
                    "It was made by an older sandboxctl: take it again (\"sandboxctl snapshot create NAME "
                    "--replace\").");
    }
    if (!pool.record.sandbox_id.empty() && pool.record.sandbox_id != pool.manifest.sandbox_id) {
        throw Error(ExitCode::refused,
                    fmt::format("snapshot \"{}\" is now of another sandbox (mark {}) than the pool's (mark {})", name,
                                pool.manifest.sandbox_id, pool.record.sandbox_id),
                    fmt::format("A pool loads the snapshots of one sandbox. If that is intended, remove \"{}\" and "
                                "empty the members, which pool sync then takes again.",
                                record_path(pool.store_root, name).string()));
    }
    pool.record.sandbox_id = pool.manifest.sandbox_id;
    return pool;
}

std::string admit(pg::Connection& conn, const Member& member, PoolSnapshot& pool, NewMembers new_members) {
    require_member_login(conn, member);
    auto mark = safety::read_mark(conn);
    if (!mark) {
        if (new_members == NewMembers::take) return take_new_member(conn, member, pool);
        throw not_a_member(member, "it carries no sandbox mark",
                           "Run \"sandboxctl pool sync\" first: it takes an empty database into the pool.");
    }
    if (mark->id == pool.manifest.sandbox_id) {
        throw not_a_member(member, fmt::format("it is the sandbox snapshot \"{}\" is taken of", pool.record.snapshot),
                           "The members are other databases: check [pool] targets.");
    }
    if (!pool.record.lists(mark->id)) {
        throw not_a_member(member,
                           fmt::format("it is marked as another sandbox (mark {}), not one of this pool's", mark->id),
                           fmt::format("Check [pool] targets. The pool's members are listed in \"{}\".",
                                       record_path(pool.store_root, pool.record.snapshot).string()));
    }
    return mark->id;
}

bool busy(const Error& error) {
    std::string_view message = error.what();
    return message.find("another sandboxctl run is using") != std::string_view::npos ||
           message.find("too many connections for database") != std::string_view::npos ||
           message.find("refuses connections (CONNECTION LIMIT 0)") != std::string_view::npos;
}

plan::Target open_member(const config::Settings& settings, const Member& member, std::string_view purpose) {
    return plan::open_target(member_settings(settings, member), purpose, plan::AfterCrash::repair);
}

reset::ResetResult reset_member(plan::Target& target, const config::Settings& settings, const Member& member,
                                const PoolSnapshot& pool, const std::string& mark,
                                const snapshot::TableReader& table_reader) {
    return reset::reset_sandbox(target, member_settings(settings, member), pool.record.snapshot, false, mark,
                                table_reader);
}

std::vector<std::string> tables_written(pg::Connection& conn) {
    std::vector<std::string> written;
    if (!snapshot::tracking_installed(conn)) return written;
    conn.exec("BEGIN");
    for (const auto& table : snapshot::dirty_tables(conn)) written.push_back(table.name);
    conn.exec("COMMIT");
    return written;
}

}  // namespace sandboxctl::pool
