#include "snapshot/drift.hpp"

#include <fmt/format.h>

#include "snapshot/fingerprint.hpp"

namespace sandboxctl::snapshot {

bool schema_drifted(pg::Connection& conn, const Baseline& baseline) {
    return catalog_signal(conn) != baseline.signal && schema_fingerprint(conn) != baseline.fingerprint;
}

std::vector<SequenceChange> changed_sequences(pg::Connection& conn, const Manifest& manifest) {
    if (manifest.sequences.empty()) return {};
    std::string names, values, called;
    for (const auto& s : manifest.sequences) {
        names += (names.empty() ? "" : ",") + pg::quote_literal(s.qualified());
        values += (values.empty() ? "" : ",") + pg::quote_literal(s.last_value);
        called += (called.empty() ? "" : ",") + std::string(s.is_called ? "true" : "false");
    }
    // The snapshot's state as pg_sequence_last_value reports it: NULL when not yet called.
    auto r = conn.exec(fmt::format(R"(
SELECT s.i, COALESCE(pg_catalog.pg_sequence_last_value(r.seq)::text, '')
FROM unnest(ARRAY[{}]::text[], ARRAY[{}]::text[], ARRAY[{}]::bool[]) WITH ORDINALITY AS s(name, v, called, i)
CROSS JOIN LATERAL (SELECT pg_catalog.to_regclass(s.name) AS seq) r
WHERE r.seq IS NOT NULL
  AND pg_catalog.pg_sequence_last_value(r.seq) IS DISTINCT FROM CASE WHEN s.called THEN s.v::bigint END
ORDER BY s.i)",
                                   names, values, called));
    std::vector<SequenceChange> changes;
    for (int row = 0; row < r.rows(); ++row) {
        const auto& s = manifest.sequences[static_cast<std::size_t>(r.get_int(row, 0) - 1)];
        changes.push_back({s.schema + "." + s.name, s.is_called ? s.last_value : "", r.get(row, 1)});
    }
    return changes;
}

}  // namespace sandboxctl::snapshot
