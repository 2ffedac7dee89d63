#include "snapshot/write_counts.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "snapshot/fingerprint.hpp"

namespace sandboxctl::snapshot {
namespace {

// PostgreSQL 15 moved the cumulative statistics into shared memory, flushed
// by each session at its end and on pg_stat_force_next_flush().
constexpr int shared_memory_statistics = 150000;

std::string oid_array(const WriteCounts& counts) {
    std::vector<unsigned> oids;
    for (const auto& [name, reads] : counts.sequences) oids.push_back(reads.oid);
    return pg::oid_array(oids);
}

// Blocks read so far from each of `counts`' sequences, by oid.
std::map<unsigned, long long> blocks_read(pg::Connection& conn, const WriteCounts& counts) {
    auto r = conn.exec("SELECT o, pg_catalog.pg_stat_get_blocks_fetched(o) FROM unnest($1::pg_catalog.oid[]) o",
                       {oid_array(counts)});
    std::map<unsigned, long long> blocks;
    for (int row = 0; row < r.rows(); ++row) blocks[static_cast<unsigned>(r.get_int(row, 0))] = r.get_int(row, 1);
    return blocks;
}

}  // namespace

bool write_counts_trustworthy(pg::Connection& conn) {
    // A superuser login could turn track_counts off in its own session; a
    // login allowed to reset counters could bring them back to a recorded
    // value after writing.
    return conn.server_version() >= shared_memory_statistics && conn.query_value(R"(
SELECT pg_catalog.current_setting('track_counts') = 'on' AND NOT rolsuper
       AND NOT pg_catalog.has_function_privilege('pg_catalog.pg_stat_reset()', 'EXECUTE')
       AND NOT pg_catalog.has_function_privilege('pg_catalog.pg_stat_reset_single_table_counters(oid)', 'EXECUTE')
FROM pg_catalog.pg_roles WHERE rolname = current_user)") == "t";
}

std::string catalog_write_counts(pg::Connection& conn) {
    // The database's last statistics reset first: any reset moves it.
    std::string sql = "SELECT concat_ws('/', COALESCE((SELECT pg_catalog.pg_stat_get_db_stat_reset_time(oid)::text "
                      "FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()), 'never')";
    for (auto catalog : signal_catalogs) {
        sql += fmt::format(", pg_catalog.pg_stat_get_tuples_inserted('pg_catalog.{0}'::pg_catalog.regclass) || ':' || "
                           "pg_catalog.pg_stat_get_tuples_updated('pg_catalog.{0}'::pg_catalog.regclass) || ':' || "
                           "pg_catalog.pg_stat_get_tuples_deleted('pg_catalog.{0}'::pg_catalog.regclass)",
                           catalog);
    }
    return conn.query_value(sql + ")");
}

std::vector<std::string> sequences_read_since(pg::Connection& conn, const WriteCounts& recorded) {
    auto now = blocks_read(conn, recorded);
    std::vector<std::string> moved;
    for (const auto& [name, reads] : recorded.sequences) {
        if (now[reads.oid] != reads.blocks) moved.push_back(name);
    }
    return moved;
}

WriteCounts take_write_counts(pg::Connection& conn, const std::string& baseline,
                              const std::vector<SequenceEntry>& sequences, const std::optional<WriteCounts>& known) {
    // Returns once the flush is done: a session reports its statistics when
    // it goes idle, before it says it is ready for the next query.
    conn.exec("SELECT pg_catalog.pg_stat_force_next_flush()");
    WriteCounts counts{baseline, catalog_write_counts(conn), {}};
    std::string names;
    for (const auto& s : sequences) {
        const SequenceReads* recorded = nullptr;
        if (known) {
            auto it = known->sequences.find(s.qualified());
            if (it != known->sequences.end()) recorded = &it->second;
        }
        if (recorded) {
            counts.sequences[s.qualified()] = {recorded->oid, 0};
        } else {
            if (!names.empty()) names += ',';
            names += pg::quote_literal(s.qualified());
        }
    }
    if (!names.empty()) {
        auto r = conn.exec(
            fmt::format("SELECT s, s::pg_catalog.regclass::pg_catalog.oid FROM unnest(ARRAY[{}]::text[]) s", names));
        for (int row = 0; row < r.rows(); ++row) {
            counts.sequences[r.get(row, 0)] = {static_cast<unsigned>(r.get_int(row, 1)), 0};
        }
    }
    auto blocks = blocks_read(conn, counts);
    for (auto& [name, reads] : counts.sequences) reads.blocks = blocks[reads.oid];
    return counts;
}

std::optional<WriteCounts> load_write_counts(const std::filesystem::path& path) {
    // Only a regular file: a FIFO put there would block the run.
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error)) return std::nullopt;
    std::ifstream in(path);
    if (!in) return std::nullopt;
    try {
        auto doc = nlohmann::json::parse(in);
        WriteCounts counts{doc.at("baseline"), doc.at("catalogs"), {}};
        for (const auto& s : doc.at("sequences")) {
            counts.sequences[s.at("name")] = {s.at("oid").get<unsigned>(), s.at("blocks").get<long long>()};
        }
        return counts;
    } catch (const nlohmann::json::exception& e) {
        log::detail("ignoring the write counts in \"{}\": {}", path.string(), e.what());
        return std::nullopt;
    }
}

void save_write_counts(const std::filesystem::path& path, const WriteCounts& counts) {
    nlohmann::json sequences = nlohmann::json::array();
    for (const auto& [name, reads] : counts.sequences) {
        sequences.push_back({{"name", name}, {"oid", reads.oid}, {"blocks", reads.blocks}});
    }
    nlohmann::json doc = {{"baseline", counts.baseline}, {"catalogs", counts.catalogs}, {"sequences", sequences}};
    std::filesystem::create_directories(path.parent_path());
    write_file_atomically(path, doc.dump(1) + "\n", "write counts");
}

}  // namespace sandboxctl::snapshot
