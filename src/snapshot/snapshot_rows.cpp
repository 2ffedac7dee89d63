#include "snapshot/snapshot_rows.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "snapshot/zstd_file.hpp"
#include "verify/table_hash.hpp"

namespace sandboxctl::snapshot {

std::map<std::string, std::string> output_settings(pg::Connection& conn) {
    auto r =
        conn.exec("SELECT n, pg_catalog.current_setting(n) FROM unnest(ARRAY['DateStyle', 'IntervalStyle', 'TimeZone', "
                  "'extra_float_digits', 'bytea_output', 'lc_monetary', 'search_path']) AS n");
    std::map<std::string, std::string> settings;
    for (int row = 0; row < r.rows(); ++row) settings[r.get(row, 0)] = r.get(row, 1);
    return settings;
}

namespace {

void apply_settings(pg::Connection& conn, const std::map<std::string, std::string>& settings) {
    std::string calls;
    for (const auto& [name, value] : settings) {
        calls += fmt::format("{}pg_catalog.set_config({}, {}, true)", calls.empty() ? "" : ", ",
                             pg::quote_literal(name), pg::quote_literal(value));
    }
    if (!calls.empty()) conn.exec("SELECT " + calls);
}

}  // namespace

namespace {

// "Check it with ..., then delete it and create it again": the hint for a
// snapshot found damaged.
std::string damaged_hint(const std::string& snapshot) {
    return "Check it with \"sandboxctl snapshot verify " + snapshot +
           "\", then delete it and create it again; the sandbox was not changed.";
}

}  // namespace

SnapshotRowSource::SnapshotRowSource(std::filesystem::path dir, const Manifest& manifest, TableReader reader)
    : dir_(std::move(dir)), manifest_(manifest), reader_(std::move(reader)) {
    if (!reader_) {
        reader_ = [this](std::size_t, const TableEntry& table, const std::function<void(std::string_view)>& sink) {
            read_zstd_file(dir_ / table.file, sink);
        };
    }
    tables_.reserve(manifest.tables.size());
    for (const auto& t : manifest.tables) {
        catalog::Relation table;
        table.schema = t.schema;
        table.name = t.name;
        table.copy_columns = t.columns;
        table.binary_copy_safe = t.binary;
        tables_.push_back(std::move(table));
        estimated_bytes_ += t.bytes;
    }
    for (const auto& t : tables_) table_pointers_.push_back(&t);
}

// The hashes are checked under the settings they were taken with; the COPY
// data was written under them too.
void SnapshotRowSource::start(pg::Connection& target) {
    session_settings_ = output_settings(target);
    apply_settings(target, manifest_.hash_settings);
}

void SnapshotRowSource::finish(pg::Connection& target) { apply_settings(target, session_settings_); }

// Loads one table's data file, then checks that the table holds what the
// snapshot recorded (its content hash): a damaged file is never loaded, even
// one that passes the quick file check or predates zstd frame checksums.
pg::CopyCounters SnapshotRowSource::load(pg::Connection& target, std::size_t index,
                                         const copy::CopyStatements& statements, const pg::CopyProgress& progress) {
    const auto& t = manifest_.tables.at(index);
    std::string what = "table " + t.display() + " from \"" + t.file + "\"";
    enum class Step { starting, reading, sending, finishing } step = Step::starting;
    pg::CopyCounters sent;
    try {
        pg::CopyIn copy(target, statements.in);
        step = Step::reading;
        reader_(index, t, [&](std::string_view chunk) {
            step = Step::sending;
            copy.put(chunk);
            sent.bytes += static_cast<long long>(chunk.size());
            if (progress) progress(sent);
            step = Step::reading;
        });
        step = Step::finishing;
        copy.finish();
    } catch (const Error& e) {
        // The file could not be read or decompressed: damage, not a server problem.
        if (step == Step::reading && !interrupt::requested()) {
            throw failure("snapshot \"" + manifest_.name + "\" is damaged: could not load " + what + ": " + e.what(),
                          damaged_hint(manifest_.name));
        }
        rethrow_with_context("could not load " + what + " of snapshot \"" + manifest_.name + "\"");
    }
    if (!t.content_hash.empty()) {
        auto loaded = verify::hash_table(target, t.qualified());
        if (loaded.digest != t.content_hash) {
            throw failure(fmt::format("snapshot \"{}\" is damaged: {} loaded from \"{}\" does not match the snapshot "
                                      "(content hash {}, recorded {})",
                                      manifest_.name, t.display(), t.file, loaded.digest, t.content_hash),
                          damaged_hint(manifest_.name));
        }
    }
    // The file's rows are known from the snapshot, not from the stream.
    return {t.rows, sent.bytes};
}

}  // namespace sandboxctl::snapshot
