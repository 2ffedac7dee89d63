#include "catalog/catalog.hpp"

#include <nlohmann/json.hpp>

namespace sandboxctl::catalog {
using pg::Params;
namespace {

constexpr const char* user_schema_filter = R"(
    n.nspname NOT IN ('pg_catalog', 'information_schema')
    AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%')";

std::string not_extension_member(const char* catalog, const char* oid_column) {
    return std::string("NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend d WHERE d.classid = '") + catalog +
           "'::pg_catalog.regclass AND d.objid = " + oid_column + " AND d.deptype = 'e')";
}

// A relation's shape, three columns of each query that reads relations: its
// stored columns (name, type, built-in), its primary key (name, type) and its
// GENERATED ALWAYS identity columns, as JSON arrays.
constexpr const char* shape_columns = R"(
       COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_array(a.attname,
                                                pg_catalog.format_type(a.atttypid, a.atttypmod), a.atttypid < 16384)
                                            ORDER BY a.attnum)
                 FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''),
                '[]'),
       COALESCE((SELECT pg_catalog.json_agg(pg_catalog.json_build_array(a.attname,
                                                pg_catalog.format_type(a.atttypid, a.atttypmod))
                                            ORDER BY pg_catalog.array_position(i.indkey::int2[], a.attnum))
                 FROM pg_catalog.pg_index i
                 JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
                 WHERE i.indrelid = c.oid AND i.indisprimary), '[]'),
       COALESCE((SELECT pg_catalog.json_agg(a.attname) FROM pg_catalog.pg_attribute a
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attidentity = 'a'), '[]'))";

// Reads the shape_columns starting at `column`.
void read_shape(Relation& r, const pg::Result& result, int row, int column) {
    for (const auto& c : nlohmann::json::parse(result.get(row, column))) {
        r.copy_columns.push_back(c.at(0).get<std::string>());
        r.copy_column_types.push_back(c.at(1).get<std::string>());
        r.copy_column_builtin.push_back(c.at(2).get<bool>());
    }
    for (const auto& c : nlohmann::json::parse(result.get(row, column + 1))) {
        r.primary_key.emplace_back(c.at(0).get<std::string>(), c.at(1).get<std::string>());
    }
    r.identity_always = nlohmann::json::parse(result.get(row, column + 2)).get<std::vector<std::string>>();
}

std::vector<Relation> read_relations_where(pg::Connection& conn, const std::string& filter, const Params& params) {
    std::string sql = std::string(R"(
SELECT c.oid, n.nspname, c.relname, pg_catalog.pg_get_userbyid(c.relowner), c.relkind,
       c.relpersistence = 'u', c.relispartition, c.relrowsecurity, c.relforcerowsecurity,
       pg_catalog.has_table_privilege(c.oid, 'SELECT'),
       CASE WHEN c.relkind IN ('r', 'm') THEN pg_catalog.pg_table_size(c.oid) ELSE 0 END,
       GREATEST(c.reltuples, 0)::bigint,
       c.relrowsecurity AND (c.relforcerowsecurity OR NOT pg_catalog.pg_has_role(c.relowner, 'USAGE'))
         AND NOT (SELECT rolbypassrls OR rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user),
       c.relispopulated,
       COALESCE((SELECT bool_and(t.oid < 16384 OR t.typtype = 'e' OR (t.typtype = 'd' AND t.typbasetype < 16384))
                 FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
                 WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''), true),)") +
                      shape_columns + R"(
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'S', 'v', 'm', 'f') AND )" +
                      user_schema_filter + " AND " + not_extension_member("pg_catalog.pg_class", "c.oid") + filter +
                      "\nORDER BY n.nspname, c.relname";
    auto result = conn.exec(sql, params);
    std::vector<Relation> relations;
    relations.reserve(result.rows());
    for (int row = 0; row < result.rows(); ++row) {
        Relation r;
        r.oid = static_cast<unsigned>(result.get_int(row, 0));
        r.schema = result.get(row, 1);
        r.name = result.get(row, 2);
        r.owner = result.get(row, 3);
        r.relkind = result.get(row, 4).at(0);
        r.unlogged = result.get_bool(row, 5);
        r.is_partition = result.get_bool(row, 6);
        r.row_security = result.get_bool(row, 7);
        r.force_row_security = result.get_bool(row, 8);
        r.readable = result.get_bool(row, 9);
        r.bytes = result.get_int(row, 10);
        r.estimated_rows = result.get_int(row, 11);
        r.row_security_applies = result.get_bool(row, 12);
        r.populated = result.get_bool(row, 13);
        r.binary_copy_safe = result.get_bool(row, 14);
        read_shape(r, result, row, 15);
        relations.push_back(std::move(r));
    }
    return relations;
}

std::vector<OwnedObject> read_other_objects(pg::Connection& conn) {
    std::string sql = std::string(R"(
SELECT 'function', p.oid::pg_catalog.regprocedure::text, pg_catalog.pg_get_userbyid(p.proowner)
FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
WHERE )") + user_schema_filter +
                      " AND " + not_extension_member("pg_catalog.pg_proc", "p.oid") + R"(
UNION ALL
SELECT 'type', pg_catalog.format_type(t.oid, NULL), pg_catalog.pg_get_userbyid(t.typowner)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype IN ('c', 'd', 'e', 'r', 'm')
  AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
  AND )" + user_schema_filter +
                      " AND " + not_extension_member("pg_catalog.pg_type", "t.oid") + R"(
UNION ALL
SELECT 'schema', n.nspname, pg_catalog.pg_get_userbyid(n.nspowner)
FROM pg_catalog.pg_namespace n
WHERE )" + user_schema_filter +
                      " AND " + not_extension_member("pg_catalog.pg_namespace", "n.oid") + R"(
UNION ALL
SELECT 'extension', e.extname, pg_catalog.pg_get_userbyid(e.extowner) FROM pg_catalog.pg_extension e
WHERE e.extname <> 'plpgsql'
ORDER BY 1, 2)";
    auto result = conn.exec(sql);
    std::vector<OwnedObject> objects;
    for (int row = 0; row < result.rows(); ++row) {
        objects.push_back({result.get(row, 0), result.get(row, 1), result.get(row, 2)});
    }
    return objects;
}

std::vector<ForeignKey> read_foreign_keys(pg::Connection& conn) {
    auto result = conn.exec(R"(
SELECT n.nspname, c.relname, con.conname, con.conrelid, con.confrelid,
       (SELECT pg_catalog.string_agg(pg_catalog.format('%I IS NOT NULL', a.attname), ' AND ')
          FROM pg_catalog.unnest(con.conkey) AS k(attnum)
          JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum)
FROM pg_catalog.pg_constraint con
JOIN pg_catalog.pg_class c ON c.oid = con.conrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE con.contype = 'f' AND con.conparentid = 0)");
    std::vector<ForeignKey> keys;
    for (int row = 0; row < result.rows(); ++row) {
        keys.push_back({result.get(row, 0), result.get(row, 1), result.get(row, 2),
                        static_cast<unsigned>(result.get_int(row, 3)), static_cast<unsigned>(result.get_int(row, 4)),
                        result.get(row, 5)});
    }
    return keys;
}

// Direct dependencies between materialized views, through their rewrite rules.
std::vector<std::pair<unsigned, unsigned>> read_matview_dependencies(pg::Connection& conn) {
    auto result = conn.exec(R"(
SELECT DISTINCT rw.ev_class, d.refobjid
FROM pg_catalog.pg_rewrite rw
JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::pg_catalog.regclass AND d.objid = rw.oid
JOIN pg_catalog.pg_class m ON m.oid = rw.ev_class AND m.relkind = 'm'
JOIN pg_catalog.pg_class r ON r.oid = d.refobjid AND r.relkind = 'm'
WHERE d.refobjid <> rw.ev_class)");
    std::vector<std::pair<unsigned, unsigned>> out;
    for (int row = 0; row < result.rows(); ++row) {
        out.emplace_back(static_cast<unsigned>(result.get_int(row, 0)), static_cast<unsigned>(result.get_int(row, 1)));
    }
    return out;
}

std::vector<std::string> single_column(pg::Connection& conn, const char* sql) {
    auto result = conn.exec(sql);
    std::vector<std::string> out;
    for (int row = 0; row < result.rows(); ++row) out.push_back(result.get(row, 0));
    return out;
}

}  // namespace

std::string Relation::qualified() const { return pg::qualified_name(schema, name); }
std::string Relation::display() const { return schema + "." + name; }

const char* Relation::kind() const {
    switch (relkind) {
        case 'r': return is_partition ? "partition" : "table";
        case 'p': return "partitioned table";
        case 'S': return "sequence";
        case 'v': return "view";
        case 'm': return "materialized view";
        case 'f': return "foreign table";
        default: return "relation";
    }
}

const Relation* SourceCatalog::find(unsigned oid) const {
    for (const auto& r : relations) {
        if (r.oid == oid) return &r;
    }
    return nullptr;
}

SourceCatalog read_catalog(pg::Connection& conn) {
    SourceCatalog catalog;
    auto identity = conn.exec(R"(
SELECT pg_catalog.current_database(), pg_catalog.pg_get_userbyid(d.datdba), session_user
FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database())");
    catalog.database = identity.get(0, 0);
    catalog.database_owner = identity.get(0, 1);
    catalog.session_user = identity.get(0, 2);
    catalog.relations = read_relations_where(conn, "", {});
    catalog.objects = read_other_objects(conn);
    catalog.foreign_keys = read_foreign_keys(conn);
    catalog.matview_dependencies = read_matview_dependencies(conn);
    catalog.role_names = read_role_names(conn);
    catalog.schema_names = read_schema_names(conn);
    return catalog;
}

std::vector<std::string> read_role_names(pg::Connection& conn) {
    return single_column(conn, "SELECT rolname FROM pg_catalog.pg_roles ORDER BY length(rolname) DESC");
}

std::vector<std::string> read_schema_names(pg::Connection& conn) {
    return single_column(conn, "SELECT nspname FROM pg_catalog.pg_namespace ORDER BY length(nspname) DESC");
}

std::vector<Relation> read_shapes(pg::Connection& conn, const std::vector<unsigned>& oids) {
    auto result =
        conn.exec(std::string("SELECT c.oid, n.nspname, c.relname, c.relkind, c.relispartition,") + shape_columns + R"(
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.oid = ANY ($1::pg_catalog.oid[]))",
                  {pg::oid_array(oids)});
    std::vector<Relation> relations;
    for (int row = 0; row < result.rows(); ++row) {
        Relation r;
        r.oid = static_cast<unsigned>(result.get_int(row, 0));
        r.schema = result.get(row, 1);
        r.name = result.get(row, 2);
        r.relkind = result.get(row, 3).at(0);
        r.is_partition = result.get_bool(row, 4);
        read_shape(r, result, row, 5);
        relations.push_back(std::move(r));
    }
    return relations;
}

std::vector<SequenceState> read_sequence_states(pg::Connection& conn, const std::vector<const Relation*>& sequences) {
    std::vector<SequenceState> states;
    if (sequences.empty()) return states;
    // One round trip for all sequences: a UNION ALL of single-row reads.
    std::string sql;
    for (std::size_t i = 0; i < sequences.size(); ++i) {
        if (i) sql += "\nUNION ALL ";
        sql += "SELECT " + std::to_string(i) + ", last_value::text, is_called FROM " + sequences[i]->qualified();
    }
    auto result = conn.exec(sql);
    states.resize(sequences.size());
    for (int row = 0; row < result.rows(); ++row) {
        auto index = static_cast<std::size_t>(result.get_int(row, 0));
        states[index] = {sequences[index], result.get(row, 1), result.get_bool(row, 2)};
    }
    return states;
}

}  // namespace sandboxctl::catalog
