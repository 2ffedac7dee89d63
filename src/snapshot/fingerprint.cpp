#include "snapshot/fingerprint.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "core/own_schemas.hpp"

namespace sandboxctl::snapshot {

// One line per catalog property that pg_dump dumps and pg_restore restores
// (for the objects in the sandbox's schemas), named by identity, never oid.
// Comments of every kind come from pg_description in one item; ACLs (which a
// full reset rebuilds as the snapshot has them) with their object.
bool has_current_format(const std::string& fingerprint) { return fingerprint.starts_with(fingerprint_format); }

std::string schema_fingerprint(pg::Connection& conn) {
    conn.exec("SET LOCAL search_path = pg_catalog");
    return fingerprint_format + conn.query_value(R"(
WITH ns AS (
  SELECT oid FROM pg_namespace
  WHERE nspname::text NOT IN ('pg_catalog', 'information_schema', $1::text, $2::text, $3::text)
    AND nspname NOT LIKE 'pg\_toast%' AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'),
rels AS (SELECT c.* FROM pg_class c WHERE c.relnamespace IN (SELECT oid FROM ns))
SELECT md5(string_agg(item, E'\n' ORDER BY item)) FROM (
  SELECT 'schema ' || nspname || ' ' || pg_get_userbyid(nspowner) || ' ' || COALESCE(nspacl::text, '')
  FROM pg_namespace WHERE oid IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'rel ' || c.oid::regclass::text || ' ' || c.relkind::text || c.relpersistence::text || c.relrowsecurity::text
         || c.relforcerowsecurity::text || c.relreplident::text || ' ' || pg_get_userbyid(c.relowner)
         || ' ' || COALESCE(c.reloptions::text, '') || ' ' || COALESCE(c.relacl::text, '')
         || ' ' || COALESCE((SELECT amname FROM pg_am WHERE oid = c.relam), '')
         || ' ' || COALESCE(pg_get_expr(c.relpartbound, c.oid), '')
  FROM rels c
  UNION ALL
  SELECT 'col ' || a.attrelid::regclass::text || ' ' || a.attnum || ' ' || a.attname || ' '
         || format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text || a.attgenerated::text || a.attidentity::text
         || a.attislocal::text || ' ' || COALESCE(a.attstattarget, -1) || a.attstorage::text || a.attcompression::text
         || ' ' || COALESCE((SELECT collname FROM pg_collation WHERE oid = a.attcollation AND oid <> 100), '')
         -- pg_attver=N: an attribute option Debian 13's PostgreSQL 17.12 gives every column,
         -- new at each rebuild of the table: the server's, not the schema's.
         || ' ' || COALESCE(NULLIF(ARRAY(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg\_attver=%'),
                                   '{}')::text, '')
         || ' ' || COALESCE(a.attfdwoptions::text, '')
         || ' ' || COALESCE(a.attacl::text, '') || COALESCE(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
  FROM pg_attribute a JOIN rels c ON c.oid = a.attrelid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  WHERE a.attnum > 0 AND NOT a.attisdropped
  UNION ALL
  SELECT 'seq ' || s.seqrelid::regclass::text || ' ' || s.seqtypid::regtype::text || ' ' || s.seqstart || ' '
         || s.seqincrement || ' ' || s.seqmax || ' ' || s.seqmin || ' ' || s.seqcache || ' ' || s.seqcycle::text
  FROM pg_sequence s JOIN rels c ON c.oid = s.seqrelid
  UNION ALL
  SELECT 'owned ' || d.objid::regclass::text || ' ' || d.refobjid::regclass::text || ' ' || d.refobjsubid || d.deptype::text
  FROM pg_depend d JOIN rels c ON c.oid = d.objid AND c.relkind = 'S'
  WHERE d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  UNION ALL
  SELECT 'inherits ' || i.inhrelid::regclass::text || ' ' || i.inhparent::regclass::text || ' ' || i.inhseqno
  FROM pg_inherits i JOIN rels c ON c.oid = i.inhrelid
  UNION ALL
  SELECT 'con ' || COALESCE(conrelid::regclass::text, contypid::regtype::text) || ' ' || conname || ' '
         || pg_get_constraintdef(oid) || condeferrable::text || condeferred::text || convalidated::text
  FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'idx ' || pg_get_indexdef(i.indexrelid) || ' ' || i.indisclustered::text || i.indisreplident::text
  FROM pg_index i JOIN rels c ON c.oid = i.indexrelid
  UNION ALL
  SELECT 'trg ' || pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text
  FROM pg_trigger t JOIN rels c ON c.oid = t.tgrelid
  -- sandboxctl's own: its names and a function of its tracking schema, not a
  -- name alone (a trigger anyone names sandboxctl_* is the schema's).
  WHERE NOT t.tgisinternal
    AND NOT (t.tgname IN ('sandboxctl_track_row', 'sandboxctl_track_truncate')
             AND (SELECT p.pronamespace FROM pg_proc p WHERE p.oid = t.tgfoid)
                 = (SELECT oid FROM pg_namespace WHERE nspname = $1::text))
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || pg_get_userbyid(p.proowner) || ' ' || COALESCE(p.proacl::text, '')
         || ' ' || md5(concat_ws(' ', p.prosrc, p.probin, p.proconfig::text, p.prosecdef, p.provolatile, p.proisstrict,
                                 p.proleakproof, p.proparallel, p.procost, p.prorows, p.prokind,
                                 pg_get_function_result(p.oid), (SELECT lanname FROM pg_language WHERE oid = p.prolang)))
  FROM pg_proc p WHERE p.pronamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'agg ' || a.aggfnoid::regprocedure::text || ' ' || concat_ws(' ', a.aggkind, a.aggtransfn, a.aggfinalfn,
         a.aggcombinefn, a.aggtranstype::regtype, a.agginitval, a.aggsortop)
  FROM pg_aggregate a JOIN pg_proc p ON p.oid = a.aggfnoid WHERE p.pronamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'type ' || t.oid::regtype::text || ' ' || t.typtype::text || ' ' || pg_get_userbyid(t.typowner) || ' '
         || COALESCE(t.typacl::text, '') || ' ' || t.typnotnull::text || ' ' || COALESCE(t.typdefault, '')
         || ' ' || COALESCE(NULLIF(t.typbasetype, 0)::regtype::text, '')
  FROM pg_type t WHERE t.typnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'enum ' || e.enumtypid::regtype::text || ' ' || e.enumsortorder || ' ' || e.enumlabel
  FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'view ' || c.oid::regclass::text || ' ' || md5(pg_get_viewdef(c.oid))
  FROM rels c WHERE c.relkind IN ('v', 'm')
  UNION ALL
  SELECT 'rule ' || pg_get_ruledef(r.oid) || ' ' || r.ev_enabled::text
  FROM pg_rewrite r JOIN rels c ON c.oid = r.ev_class WHERE r.rulename <> '_RETURN'
  UNION ALL
  SELECT 'policy ' || p.polrelid::regclass::text || ' ' || p.polname || ' ' || p.polcmd::text || p.polpermissive::text
         || ' ' || array_to_string(ARRAY(SELECT CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r) END
                                          FROM unnest(p.polroles) r ORDER BY 1), ',')
         || COALESCE(pg_get_expr(p.polqual, p.polrelid), '') || COALESCE(pg_get_expr(p.polwithcheck, p.polrelid), '')
  FROM pg_policy p JOIN rels c ON c.oid = p.polrelid
  UNION ALL
  SELECT 'stats ' || pg_get_statisticsobjdef(s.oid) || ' ' || COALESCE(s.stxstattarget, -1) || ' '
         || pg_get_userbyid(s.stxowner)
  FROM pg_statistic_ext s WHERE s.stxnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'defacl ' || pg_get_userbyid(defaclrole) || ' ' || COALESCE(defaclnamespace::regnamespace::text, '') || ' '
         || defaclobjtype::text || ' ' || defaclacl::text
  FROM pg_default_acl WHERE defaclnamespace = 0 OR defaclnamespace IN (SELECT oid FROM ns)
  UNION ALL
  SELECT 'ext ' || extname || ' ' || extversion || ' ' || extnamespace::regnamespace::text FROM pg_extension
  UNION ALL
  SELECT 'object ' || o.type || ' ' || o.identity || ' ' || pg_get_userbyid(x.owner)
  FROM (SELECT 'pg_operator'::regclass AS classid, oid, oprowner AS owner FROM pg_operator
         WHERE oprnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT 'pg_opclass'::regclass, oid, opcowner FROM pg_opclass WHERE opcnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT 'pg_opfamily'::regclass, oid, opfowner FROM pg_opfamily WHERE opfnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT 'pg_collation'::regclass, oid, collowner FROM pg_collation
         WHERE collnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT 'pg_conversion'::regclass, oid, conowner FROM pg_conversion
         WHERE connamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT 'pg_ts_config'::regclass, oid, cfgowner FROM pg_ts_config
         WHERE cfgnamespace IN (SELECT oid FROM ns)
        UNION ALL SELECT 'pg_ts_dict'::regclass, oid, dictowner FROM pg_ts_dict WHERE dictnamespace IN (SELECT oid FROM ns)
       ) x, pg_identify_object(x.classid, x.oid, 0) o
  UNION ALL
  SELECT 'comment ' || o.type || ' ' || o.identity || ' ' || md5(d.description)
  FROM pg_description d, pg_identify_object(d.classoid, d.objoid, d.objsubid) o
  WHERE d.objoid >= 16384 AND COALESCE(o.schema, '') NOT IN ($1::text, $2::text, $3::text)
    AND NOT (o.type = 'schema' AND o.identity IN ($1::text, $2::text, $3::text))
    AND NOT (o.type = 'trigger' AND o.identity LIKE 'sandboxctl\_%')
) items(item))",
                                                 {std::string(own_schemas::tracking), std::string(own_schemas::cache),
                                                  std::string(own_schemas::pool)});
}

namespace {

// A signal's entries, "count:sum" each, separated by '/'.
std::vector<std::string> split_entries(const std::string& signal) {
    std::vector<std::string> entries;
    std::size_t begin = 0;
    for (std::size_t slash = signal.find('/'); slash != std::string::npos; slash = signal.find('/', begin)) {
        entries.push_back(signal.substr(begin, slash - begin));
        begin = slash + 1;
    }
    entries.push_back(signal.substr(begin));
    return entries;
}

// The signal's entries for `catalogs`, in one query.
std::vector<std::string> signal_entries(pg::Connection& conn, const std::vector<std::string_view>& catalogs) {
    std::string sql = "SELECT concat_ws('/'";
    for (auto catalog : catalogs) {
        sql += fmt::format(", (SELECT count(*) || ':' || COALESCE(sum(xmin::text::bigint), 0) FROM pg_catalog.{})",
                           catalog);
    }
    return split_entries(conn.query_value(sql + ")"));
}

std::string join_entries(const std::vector<std::string>& entries) {
    std::string out;
    for (const auto& e : entries) {
        if (!out.empty()) out += '/';
        out += e;
    }
    return out;
}

}  // namespace

// The sum of xmin moves with any row written (an update writes a new row
// version with a newer transaction id; the in-place updates of VACUUM and
// ANALYZE keep xmin), and rows written after the baseline carry newer ids than
// any they replace, so count and sum cannot both come back to the baseline's
// values.
std::string catalog_signal(pg::Connection& conn) {
    return join_entries(signal_entries(conn, {signal_catalogs.begin(), signal_catalogs.end()}));
}

std::string catalog_signal_updated(pg::Connection& conn, const std::string& signal,
                                   const std::vector<std::string_view>& written) {
    auto entries = split_entries(signal);
    if (entries.size() != signal_catalogs.size()) return catalog_signal(conn);
    auto fresh = signal_entries(conn, written);
    for (std::size_t i = 0; i < written.size(); ++i) {
        auto at = std::ranges::find(signal_catalogs, written[i]);
        if (at == signal_catalogs.end() || i >= fresh.size()) return catalog_signal(conn);
        entries[static_cast<std::size_t>(at - signal_catalogs.begin())] = fresh[i];
    }
    return join_entries(entries);
}

}  // namespace sandboxctl::snapshot
