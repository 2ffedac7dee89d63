#include "verify/table_hash.hpp"

namespace sandboxctl::verify {
namespace {

// ROW(t."a", t."b", ...)::text with columns in name order: a restore may
// reorder the columns of inheritance children, and the hash must not care.
std::string row_expression(pg::Connection& conn, const std::string& qualified_table) {
    auto columns = conn.exec(
        "SELECT pg_catalog.quote_ident(attname) FROM pg_catalog.pg_attribute "
        "WHERE attrelid = $1::pg_catalog.regclass AND attnum > 0 AND NOT attisdropped ORDER BY attname COLLATE \"C\"",
        {qualified_table});
    if (columns.rows() == 0) return "'()'";
    std::string out = "ROW(";
    for (int row = 0; row < columns.rows(); ++row) out += (row ? ", t." : "t.") + columns.get(row, 0);
    return out + ")::text";
}

}  // namespace

TableHash hash_table(pg::Connection& conn, const std::string& qualified_table) {
    auto r = conn.exec("SELECT count(*), "
                       "COALESCE(sum(('x' || substr(h, 1, 16))::bit(64)::bigint::numeric), 0)::text || '/' || "
                       "COALESCE(sum(('x' || substr(h, 17, 16))::bit(64)::bigint::numeric), 0)::text "
                       "FROM (SELECT pg_catalog.md5(" +
                       row_expression(conn, qualified_table) + ") AS h FROM ONLY " + qualified_table + " t) rows");
    return {r.get_int(0, 0), r.get(0, 1)};
}

}  // namespace sandboxctl::verify
