#include "refresh/report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/sum.hpp"
#include "plan/exclusions.hpp"

namespace sandboxctl::refresh {
namespace {

double seconds(std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

long long RefreshReport::total_rows() const { return sum_of(tables, &copy::TableCopy::rows); }
long long RefreshReport::total_bytes() const { return sum_of(tables, &copy::TableCopy::bytes); }

std::chrono::nanoseconds RefreshReport::total_time() const { return output::total_time(phases); }

void print_text(const RefreshReport& r, std::ostream& out) {
    fmt::print(out, "refresh {}: {} -> {}\n", r.committed ? "committed" : "did not commit", r.source, r.target);
    fmt::print(out, "  roles: source {} -> target {}\n", r.source_role, r.target_role);
    if (r.marked_now) fmt::print(out, "  marked the target as a sandbox (mark {})\n", r.sandbox_mark);
    fmt::print(out, "  schema entries restored: {}, sequences set: {}, sessions ended: {}\n", r.schema_entries_restored,
               r.sequences_set, r.sessions_ended);
    fmt::print(out, "  tables copied: {}, rows: {}, bytes: {}\n", r.tables.size(), r.total_rows(),
               format_bytes(static_cast<unsigned long long>(r.total_bytes())));
    if (r.snapshot) {
        fmt::print(out, "  snapshot \"{}\" created: {} tables, {} rows, {} sequences, {} compressed\n",
                   r.snapshot->name, r.snapshot->tables, r.snapshot->rows, r.snapshot->sequences,
                   format_bytes(static_cast<unsigned long long>(r.snapshot->compressed_bytes)));
    }
    if (log::level() >= log::Level::verbose) {
        fmt::print(out, "\nTables:\n");
        for (const auto& t : r.tables) {
            fmt::print(out, "  {:<50} {:>12} rows {:>10} {:>9}\n", t.name, t.rows,
                       format_bytes(static_cast<unsigned long long>(t.bytes)), format_duration(t.elapsed));
        }
    }
    plan::print_exclusions(out, "Left out", r.excluded, {.name_width = 40, .blank_line_before = true});
    plan::print_exclusions(out, "Schema copied, data left out", r.data_excluded,
                           {.name_width = 40, .blank_line_before = true});
    if (!r.kept.empty()) {
        fmt::print(out, "\nKept sandbox rows:\n");
        for (const auto& k : r.kept) {
            fmt::print(out, "  {:<40} {:>8} rows kept, {} prod rows replaced (where {})\n", k.table, k.rows, k.replaced,
                       k.where);
            if (!k.skipped.empty()) fmt::print(out, "  {:<40} nothing kept: {}\n", "", k.skipped);
        }
    }
    if (!r.masking.empty()) {
        fmt::print(out, "\n");
        masking::print_text(r.masking, out);
    }
    if (!r.post_sql.empty()) {
        fmt::print(out, "\nPost-refresh SQL:\n");
        for (const auto& f : r.post_sql) fmt::print(out, "  {}\n", f);
    }
    profiles::print_outcomes(r.profiles, out);
    fmt::print(out, "\nPhases:\n");
    for (const auto& p : r.phases) fmt::print(out, "  {:<28} {:>10}\n", p.name, format_duration(p.elapsed));
    fmt::print(out, "  {:<28} {:>10}\n", "total", format_duration(r.total_time()));
}

nlohmann::json to_json(const RefreshReport& r) {
    nlohmann::json doc;
    doc["committed"] = r.committed;
    doc["source"] = r.source;
    doc["target"] = r.target;
    doc["source_role"] = r.source_role;
    doc["target_role"] = r.target_role;
    doc["checks"] = nlohmann::json::array();
    for (const auto& c : r.checks) {
        doc["checks"].push_back({{"name", c.name}, {"status", safety::status_label(c.status)}, {"reason", c.reason}});
    }
    doc["schema_entries_restored"] = r.schema_entries_restored;
    doc["sequences_set"] = r.sequences_set;
    doc["sessions_ended"] = r.sessions_ended;
    doc["sandbox_mark"] = r.sandbox_mark;
    doc["marked_now"] = r.marked_now;
    doc["incomplete"] = output::follow_up_json(r.follow_up_failures);
    doc["tables"] = nlohmann::json::array();
    for (const auto& t : r.tables) {
        doc["tables"].push_back(
            {{"name", t.name}, {"rows", t.rows}, {"bytes", t.bytes}, {"seconds", seconds(t.elapsed)}});
    }
    doc["totals"] = {{"tables", r.tables.size()},
                     {"rows", r.total_rows()},
                     {"bytes", r.total_bytes()},
                     {"seconds", seconds(r.total_time())}};
    doc["excluded"] = plan::exclusions_json(r.excluded);
    doc["data_excluded"] = plan::exclusions_json(r.data_excluded);
    doc["kept"] = rebuild::kept_json(r.kept);
    doc["masking"] = masking::to_json(r.masking);
    doc["post_sql"] = r.post_sql;
    doc["snapshot"] = nullptr;
    if (r.snapshot) {
        doc["snapshot"] = {{"name", r.snapshot->name},
                           {"tables", r.snapshot->tables},
                           {"rows", r.snapshot->rows},
                           {"sequences", r.snapshot->sequences},
                           {"compressed_bytes", r.snapshot->compressed_bytes}};
    }
    profiles::add_outcomes(r.profiles, doc);
    doc["phases"] = nlohmann::json::array();
    for (const auto& p : r.phases) doc["phases"].push_back({{"name", p.name}, {"seconds", seconds(p.elapsed)}});
    return doc;
}

}  // namespace sandboxctl::refresh
