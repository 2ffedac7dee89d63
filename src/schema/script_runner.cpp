#include "schema/script_runner.hpp"

#include <fmt/format.h>

#include <span>

#include "core/interrupt.hpp"

namespace sandboxctl::schema {

namespace {

// Runs one entry at a time, so a failure names the object that failed.
void run_entries(pg::Connection& target, std::span<const ScriptEntry> entries, const char* section) {
    for (const auto& entry : entries) {
        try {
            target.exec(entry.sql);
        } catch (...) {
            rethrow_with_context(fmt::format("could not restore {} ({})", entry.title, section));
        }
    }
}

}  // namespace

void run_script(pg::Connection& target, const std::vector<ScriptEntry>& entries, const char* section) {
    constexpr std::size_t max_entries = 200, max_bytes = 1 << 20;
    std::size_t begin = 0;
    while (begin < entries.size()) {
        interrupt::throw_if_requested();
        std::size_t end = begin, bytes = 0;
        std::string batch;
        while (end < entries.size() && end - begin < max_entries && bytes < max_bytes) {
            batch += entries[end].sql;
            batch += "\n";
            bytes += entries[end].sql.size();
            ++end;
        }
        target.exec("SAVEPOINT sandboxctl_batch");
        try {
            target.exec(batch);
        } catch (const pg::PgError&) {
            if (interrupt::requested()) throw;
            try {
                target.exec("ROLLBACK TO SAVEPOINT sandboxctl_batch");
            } catch (...) {
                rethrow_with_context(fmt::format("could not restore the {} section", section));
            }
            run_entries(target, std::span(entries).subspan(begin, end - begin), section);
        }
        target.exec("RELEASE SAVEPOINT sandboxctl_batch");
        begin = end;
    }
}

void apply_rebuild_settings(pg::Connection& target, std::chrono::milliseconds lock_timeout) {
    target.exec("RESET ALL");
    target.exec(fmt::format("SET LOCAL lock_timeout = {}", lock_timeout.count()));
    // If sandboxctl dies mid-statement, the server notices within seconds
    // and rolls back, instead of when the statement ends.
    target.exec("SET LOCAL client_connection_check_interval = 2000");
    // Index builds after the load sort whole tables: give them at least
    // 512 MB (never less than the server's own setting).
    target.exec(
        "SELECT pg_catalog.set_config('maintenance_work_mem', GREATEST(setting::bigint, 524288)::text || 'kB', true) "
        "FROM pg_catalog.pg_settings WHERE name = 'maintenance_work_mem'");
}

}  // namespace sandboxctl::schema
