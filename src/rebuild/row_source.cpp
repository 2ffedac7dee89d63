#include "rebuild/row_source.hpp"

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "masking/row_masker.hpp"

namespace sandboxctl::rebuild {

LiveRowSource::LiveRowSource(safety::SourceSession& source, std::vector<const catalog::Relation*> tables,
                             long long estimated_bytes, Masking masking)
    : source_(source), tables_(std::move(tables)), estimated_bytes_(estimated_bytes), masking_(masking) {}

void LiveRowSource::start(pg::Connection& target) {
    (void)target;
    reader_.emplace(source_.open_reader("refresh-copy"));
}

pg::CopyCounters LiveRowSource::load(pg::Connection& target, std::size_t index, const copy::CopyStatements& statements,
                                     const pg::CopyProgress& progress) {
    const auto& table = *tables_.at(index);
    try {
        // A masked table's rows are rewritten on their way (never an UPDATE
        // after the load, which would leave prod's values in dead row
        // versions and in the WAL).
        if (const auto* mask = masking_.policy ? masking_.policy->find(table.oid) : nullptr) {
            auto text = copy::copy_statements(table, true, true);
            masking::RowMasker masker(*mask, *masking_.hash);
            try {
                return pg::stream_copy(*reader_, text.out, target, text.in, progress,
                                       [&](std::string_view row) { return masker.mask(row); });
            } catch (const pg::PgError& e) {
                // The server's DETAIL quotes the failing row, prod's values
                // of the columns no rule masks among them: never shown.
                if (interrupt::requested()) throw;
                throw Error(e.code(), "could not load the masked rows: " + e.primary_without_values(),
                            "A masked value the sandbox's table refuses (a CHECK constraint, a domain): give the "
                            "column another transformer, or keep.");
            }
        }
        auto counters = pg::stream_copy(*reader_, statements.out, target, statements.in, progress);
        counters.rows = copy::rows_copied(statements, counters);
        return counters;
    } catch (...) {
        rethrow_with_context("could not copy table " + table.display());
    }
}

}  // namespace sandboxctl::rebuild
