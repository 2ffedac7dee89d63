#pragma once
// The rows of a full reset: a snapshot's zstd-compressed COPY files, loaded
// by the shared rebuild (rebuild/row_source.hpp). Every table is checked
// after its load against the content hash the snapshot recorded, under the
// session settings the hashes were taken with.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "rebuild/row_source.hpp"
#include "snapshot/manifest.hpp"

namespace sandboxctl::snapshot {

// Session settings that shape a row's text form, hence verify::hash_table's
// digest.
std::map<std::string, std::string> output_settings(pg::Connection& conn);

class SnapshotRowSource : public rebuild::RowSource {
public:
    SnapshotRowSource(std::filesystem::path dir, const Manifest& manifest);

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
};

}  // namespace sandboxctl::snapshot
