#include "snapshot/fingerprint.hpp"

#include <fmt/format.h>

namespace sandboxctl::snapshot {

std::string schema_fingerprint(pg::Connection& conn) {
    conn.exec("SET LOCAL search_path = pg_catalog");
    return conn.query_value(R"(
WITH ns AS (
  SELECT oid FROM pg_namespace
  WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'sandboxctl', 'sandboxctl_golden')
    AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%')
SELECT md5(string_agg(item, E'\n' ORDER BY item)) FROM (
  SELECT 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) FROM pg_namespace WHERE oid IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'rel ' || c.oid::regclass::text || ' ' || c.relkind::text || c.relpersistence::text || c.relrowsecurity::text
         || c.relforcerowsecurity::text || ' ' || pg_get_userbyid(c.relowner)
  FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'col ' || a.attrelid::regclass::text || ' ' || a.attnum || ' ' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || a.attgenerated::text || a.attidentity::text
         || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE c.relnamespace IN (SELECT oid FROM ns) AND a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'con ' || COALESCE(conrelid::regclass::text, contypid::regtype::text) || ' ' || conname || ' '
         || pg_get_constraintdef(oid) || condeferrable::text || condeferred::text || convalidated::text
  FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'trg ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
  WHERE c.relnamespace IN (SELECT oid FROM ns) AND NOT t.tgisinternal AND t.tgname NOT LIKE 'sandboxctl\_%'
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || md5(COALESCE(p.prosrc, '')) || ' ' || pg_get_userbyid(p.proowner)
  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'type ' || t.oid::regtype::text || ' ' || t.typtype::text FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'enum ' || e.enumtypid::regtype::text || ' ' || e.enumsortorder || ' ' || e.enumlabel
  FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'view ' || c.oid::regclass::text || ' ' || md5(pg_get_viewdef(c.oid))
  FROM pg_class c WHERE c.relkind IN ('v', 'm') AND c.relnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'policy ' || p.polrelid::regclass::text || ' ' || p.polname || ' ' || p.polcmd::text
         || COALESCE(pg_get_expr(p.polqual, p.polrelid), '') || COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '')
  FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace IN (SELECT oid FROM ns)
) items(item))");
}

std::string catalog_signal(pg::Connection& conn) {
    std::string sql = "SELECT concat_ws('/'";
    for (const char* catalog : {"pg_namespace", "pg_class", "pg_attribute", "pg_attrdef", "pg_constraint", "pg_index",
                                "pg_trigger", "pg_proc", "pg_type", "pg_enum", "pg_rewrite", "pg_policy"}) {
        sql += fmt::format(", (SELECT count(*) || ':' || COALESCE(sum(xmin::text::bigint), 0) FROM pg_catalog.{})", catalog);
    }
    return conn.query_value(sql + ")");
}

}  // namespace sandboxctl::snapshot
