#pragma once
// Where the data step of a rebuild takes its rows from: the live source (the
// refresh's reader at the run's snapshot) or a snapshot's files (a full reset,
// see snapshot/snapshot_rows.hpp). The step itself (rebuild/steps.hpp) is the
// same for both: one COPY FROM STDIN per table into the tables the rebuild
// transaction has just created.
#include <cstddef>
#include <optional>
#include <vector>

#include "catalog/catalog.hpp"
#include "copy/copy_statements.hpp"
#include "masking/keyed_hash.hpp"
#include "masking/policy.hpp"
#include "pg/connection.hpp"
#include "pg/copy_stream.hpp"
#include "safety/source_session.hpp"

namespace sandboxctl::rebuild {

class RowSource {
public:
    virtual ~RowSource() = default;

    // The tables to load, in order, and about how many COPY bytes they hold
    // (for the progress line's ETA).
    virtual const std::vector<const catalog::Relation*>& tables() const = 0;
    virtual long long estimated_bytes() const = 0;

    // Around the whole data step, inside the rebuild transaction.
    virtual void start(pg::Connection& target) { (void)target; }
    virtual void finish(pg::Connection& target) { (void)target; }

    // Streams the rows of tables()[index] into `target` with statements.in
    // (a COPY ... FROM STDIN), calling `progress` with the table's running
    // totals. Returns the rows and COPY bytes loaded; throws with the table
    // named.
    virtual pg::CopyCounters load(pg::Connection& target, std::size_t index, const copy::CopyStatements& statements,
                                  const pg::CopyProgress& progress) = 0;
};

// What the live source masks on the way (masking/policy.hpp).
struct Masking {
    const masking::Policy* policy = nullptr;
    const masking::KeyedHash* hash = nullptr;
};

// The live source: every table is streamed with COPY ... TO STDOUT from a
// reader connection inside the run's snapshot (opened when the step starts).
// A masked table is streamed in text format through its RowMasker.
class LiveRowSource : public RowSource {
public:
    LiveRowSource(safety::SourceSession& source, std::vector<const catalog::Relation*> tables,
                  long long estimated_bytes, Masking masking = {});

    const std::vector<const catalog::Relation*>& tables() const override { return tables_; }
    long long estimated_bytes() const override { return estimated_bytes_; }
    void start(pg::Connection& target) override;
    pg::CopyCounters load(pg::Connection& target, std::size_t index, const copy::CopyStatements& statements,
                          const pg::CopyProgress& progress) override;

private:
    safety::SourceSession& source_;
    std::vector<const catalog::Relation*> tables_;
    long long estimated_bytes_;
    Masking masking_;
    std::optional<pg::Connection> reader_;
};

}  // namespace sandboxctl::rebuild
