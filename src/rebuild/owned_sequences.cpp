#include "rebuild/owned_sequences.hpp"

#include <fmt/format.h>

#include "core/log.hpp"

namespace sandboxctl::rebuild {

void advance_owned_sequences(pg::Connection& target, const sql::QualifiedName& table) {
    auto owned = target.exec(R"(
SELECT n.nspname, s.relname, a.attname
  FROM pg_catalog.pg_depend d
  JOIN pg_catalog.pg_class s ON s.oid = d.objid AND s.relkind = 'S'
  JOIN pg_catalog.pg_namespace n ON n.oid = s.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
 WHERE d.classid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.refclassid = 'pg_catalog.pg_class'::pg_catalog.regclass
   AND d.refobjid = $1::pg_catalog.regclass AND d.deptype IN ('a', 'i')
   AND a.atttypid IN ('pg_catalog.int2'::pg_catalog.regtype, 'pg_catalog.int4'::pg_catalog.regtype,
                      'pg_catalog.int8'::pg_catalog.regtype))",
                             {std::string(table.text())});
    for (int row = 0; row < owned.rows(); ++row) {
        sql::QualifiedName sequence(owned.get(row, 0), owned.get(row, 1));
        sql::Literal sequence_text(sequence.text());
        auto advanced = target.exec(sql::format(R"(
SELECT pg_catalog.setval({0}, m.v)
  FROM (SELECT max({1})::bigint AS v FROM {2}) m, {3} s, pg_catalog.pg_sequence p
 WHERE p.seqrelid = {0}::pg_catalog.regclass AND p.seqincrement > 0 AND m.v IS NOT NULL
   AND m.v >= CASE WHEN s.is_called THEN s.last_value::numeric + p.seqincrement ELSE s.last_value END)",
                                                sequence_text, sql::Identifier(owned.get(row, 2)), table, sequence));
        if (advanced.rows() > 0) log::detail("advanced sequence {} to {}", sequence.text(), advanced.get(0, 0));
    }
}

}  // namespace sandboxctl::rebuild
