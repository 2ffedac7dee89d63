#include "rebuild/row_source.hpp"

#include "core/error.hpp"

namespace sandboxctl::rebuild {

LiveRowSource::LiveRowSource(safety::SourceSession& source, std::vector<const catalog::Relation*> tables,
                             long long estimated_bytes)
    : source_(source), tables_(std::move(tables)), estimated_bytes_(estimated_bytes) {}

void LiveRowSource::start(pg::Connection& target) {
    (void)target;
    reader_.emplace(source_.open_reader("refresh-copy"));
}

pg::CopyCounters LiveRowSource::load(pg::Connection& target, std::size_t index, const copy::CopyStatements& statements,
                                     const pg::CopyProgress& progress) {
    const auto& table = *tables_.at(index);
    try {
        auto counters = pg::stream_copy(*reader_, statements.out, target, statements.in, progress);
        counters.rows = copy::rows_copied(statements, counters);
        return counters;
    } catch (...) {
        rethrow_with_context("could not copy table " + table.display());
    }
}

}  // namespace sandboxctl::rebuild
