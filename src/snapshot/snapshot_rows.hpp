#pragma once
// The rows of a full reset: a snapshot's zstd-compressed COPY files, loaded
// by the shared rebuild (rebuild/row_source.hpp). Every table is checked
// after its load against the content hash the snapshot recorded, under the
// session settings the hashes were taken with.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "rebuild/row_source.hpp"
#include "snapshot/manifest.hpp"

namespace sandboxctl::snapshot {

// Session settings that shape a row's text form, hence verify::hash_table's
// digest.
std::map<std::string, std::string> output_settings(pg::Connection& conn);

// Where a table's COPY bytes come from, handed to `sink` chunk by chunk. By
// default its zstd file in the snapshot directory; `pool sync` reads each
// file once for every member it resets and hands each member the bytes.
using TableReader =
    std::function<void(std::size_t index, const TableEntry& table, const std::function<void(std::string_view)>& sink)>;

class SnapshotRowSource : public rebuild::RowSource {
public:
    // `reader` empty: the snapshot's files.
    SnapshotRowSource(std::filesystem::path dir, const Manifest& manifest, TableReader reader = {});

    const std::vector<const catalog::Relation*>& tables() const override { return table_pointers_; }
    long long estimated_bytes() const override { return estimated_bytes_; }
    void start(pg::Connection& target) override;
    void finish(pg::Connection& target) override;
    pg::CopyCounters load(pg::Connection& target, std::size_t index, const copy::CopyStatements& statements,
                          const pg::CopyProgress& progress) override;

private:
    std::filesystem::path dir_;
    const Manifest& manifest_;
    std::vector<catalog::Relation> tables_;  // what the COPY statements need of each table
    std::vector<const catalog::Relation*> table_pointers_;
    long long estimated_bytes_ = 0;
    std::map<std::string, std::string> session_settings_;
    TableReader reader_;
};

}  // namespace sandboxctl::snapshot
