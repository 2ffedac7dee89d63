// What a delta reset must not trust, and what it must not miss (issue 9):
// tracking and cache state that the sandbox login can change (it falls back
// to a full reset, saying why), every catalog property pg_dump would restore
// (a change to any of them is schema drift), and the size of a change (large
// changes reload a table whole; the report counts rows actually changed).
#include <nlohmann/json.hpp>

#include "pg/reset_fixture.hpp"
#include "snapshot/fingerprint.hpp"

namespace sandboxctl::test {
namespace {

// ACLs and default privileges of the sandbox's objects: pg_dump --no-acl (the
// schema text of capture_state) leaves them out.
std::string privileges(pg::Connection& conn) {
    return conn.query_value(R"(
SELECT string_agg(item, E'\n' ORDER BY item) FROM (
  SELECT 'rel ' || c.oid::regclass::text || ' ' || COALESCE(c.relacl::text, '-') FROM pg_class c
   JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT LIKE 'sandboxctl%'
     AND n.nspname <> 'information_schema'
  UNION ALL
  SELECT 'col ' || a.attrelid::regclass::text || '.' || a.attname || ' ' || a.attacl::text FROM pg_attribute a
   JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
   WHERE a.attacl IS NOT NULL AND n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT LIKE 'sandboxctl%'
  UNION ALL
  SELECT 'schema ' || nspname || ' ' || COALESCE(nspacl::text, '-') FROM pg_namespace
   WHERE nspname NOT LIKE 'pg\_%' AND nspname NOT LIKE 'sandboxctl%'
  UNION ALL
  SELECT 'fn ' || p.oid::regprocedure::text || ' ' || COALESCE(p.proacl::text, '-') FROM pg_proc p
   JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname NOT LIKE 'sandboxctl%'
     AND n.nspname <> 'information_schema'
  UNION ALL
  SELECT 'default ' || defaclrole::regrole::text || ' ' || defaclobjtype::text || ' ' || defaclacl::text
  FROM pg_default_acl) items(item))");
}

class ResetTamper : public ResetFixture {
protected:
    void SetUp() override {
        ResetFixture::SetUp();
        if (IsSkipped() || HasFailure()) return;
        auto conn = admin_connection();
        golden_privileges_ = privileges(conn);
        // A reset first: it records the write counts, so that the tampering
        // below is also what the next reset's shortcut (write_counts.hpp) must see.
        auto first = reset();
        ASSERT_EQ(first["mode"], "delta") << last_reset_.all();
    }

    // A full reset that names `why`, back to the golden state; then a scenario
    // and a delta reset work again (tracking and cache are sound again).
    void expect_full_reset_because(const std::string& why) {
        auto report = reset();
        EXPECT_EQ(report["mode"], "full") << last_reset_.all();
        EXPECT_EQ(report["why_full"], why) << last_reset_.all();
        expect_golden();
        auto conn = admin_connection();
        EXPECT_EQ(privileges(conn), golden_privileges_);
        scenario_dml();
        auto delta = reset();
        EXPECT_EQ(delta["mode"], "delta") << last_reset_.all();
        expect_golden();
    }

    std::string golden_privileges_;
};

constexpr const char* tracking_altered = "the change tracking was altered since the last reset";
constexpr const char* cache_altered = "the golden cache was altered since the last reset";

TEST_F(ResetTamper, TrackingTriggerDisabledAroundAnUpdate) {
    // Re-enabled exactly as it was (ALWAYS): its state looks untouched.
    model_->sandbox_sql(R"(SET ROLE sbx_sandbox_login;
ALTER TABLE kitchen_sink DISABLE TRIGGER sandboxctl_track_row;
UPDATE kitchen_sink SET label = 'unlogged' WHERE id = 1;
ALTER TABLE kitchen_sink ENABLE ALWAYS TRIGGER sandboxctl_track_row;)");
    expect_full_reset_because(tracking_altered);
}

TEST_F(ResetTamper, TrackingTriggerReEnabledAsAnOrdinaryTrigger) {
    model_->sandbox_sql(R"(SET ROLE sbx_sandbox_login;
ALTER TABLE kitchen_sink DISABLE TRIGGER ALL;
DELETE FROM kitchen_sink WHERE id = 1;
ALTER TABLE kitchen_sink ENABLE TRIGGER USER;)");
    expect_full_reset_because(tracking_altered);
}

TEST_F(ResetTamper, TrackingTriggerDroppedOrItsFunctionReplaced) {
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; DROP TRIGGER sandboxctl_track_row ON \"MixedCase\"; "
                        "INSERT INTO \"MixedCase\" VALUES (777, 'unlogged');");
    expect_full_reset_because(tracking_altered);
    auto function = model_->sandbox_sql("SELECT tgfoid::regproc FROM pg_trigger "
                                        "WHERE tgrelid = 'kitchen_sink'::regclass AND tgname = 'sandboxctl_track_row'");
    function.pop_back();
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; CREATE OR REPLACE FUNCTION " + function +
                        "() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$ BEGIN RETURN NULL; END $$; "
                        "UPDATE kitchen_sink SET label = 'unlogged' WHERE id = 1;");
    expect_full_reset_because(tracking_altered);
}

TEST_F(ResetTamper, RowsDeletedFromTheChangeLog) {
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; UPDATE kitchen_sink SET label = 'changed' WHERE id = 1;");
    // The login may not delete from the log as it is...
    EXPECT_THROW(model_->sandbox_sql("SET ROLE sbx_sandbox_login; DELETE FROM sandboxctl.changes"), std::runtime_error);
    EXPECT_THROW(model_->sandbox_sql("SET ROLE sbx_sandbox_login; TRUNCATE sandboxctl.changes"), std::runtime_error);
    // ...and granting itself the right to is a change the reset sees.
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; GRANT DELETE ON sandboxctl.changes TO sbx_sandbox_login; "
                        "DELETE FROM sandboxctl.changes; REVOKE DELETE ON sandboxctl.changes FROM sbx_sandbox_login;");
    expect_full_reset_because(tracking_altered);
}

TEST_F(ResetTamper, GoldenCacheRowEdited) {
    auto cache = model_->sandbox_sql("SELECT cache FROM sandboxctl_golden.tables WHERE name = 'kitchen_sink'");
    cache.pop_back();
    EXPECT_THROW(model_->sandbox_sql("SET ROLE sbx_sandbox_login; UPDATE " + cache + " SET label = 'forged'"),
                 std::runtime_error);
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; GRANT UPDATE ON " + cache + " TO sbx_sandbox_login; UPDATE " +
                        cache + " SET label = 'forged' WHERE id = 1; REVOKE UPDATE ON " + cache +
                        " FROM sbx_sandbox_login; UPDATE kitchen_sink SET qty = 5 WHERE id = 1;");
    // The full reset also rebuilds the cache: the delta reset after it
    // (in expect_full_reset_because) must put back the true row.
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; UPDATE kitchen_sink SET label = 'x' WHERE id = 1;");
    expect_full_reset_because(cache_altered);
}

// --- Schema drift: every catalog property pg_dump would restore -------------

struct Drift {
    const char* name;
    const char* sql;  // run as the sandbox login
};

class ResetDrift : public ResetTamper {
protected:
    // Each drift in turn, each followed by a reset. The whole state (a
    // pg_dump and every table's hash) is compared once, after the last: a
    // full reset rebuilds the schema from the same files each time, so a
    // property one of them failed to put back (or a drifted object it failed
    // to remove) would still differ at the end.
    void expect_drift_caught(const std::vector<Drift>& drifts) {
        const auto manifest = snapshot::load_manifest(std::filesystem::path(store_) / "golden");
        for (const auto& drift : drifts) {
            SCOPED_TRACE(drift.name);
            model_->sandbox_sql(std::string("SET ROLE sbx_sandbox_login; ") + drift.sql);
            auto report = reset();
            EXPECT_EQ(report["mode"], "full") << last_reset_.all();
            EXPECT_EQ(report["why_full"], "the schema changed since the snapshot") << last_reset_.all();
            auto conn = admin_connection();
            EXPECT_EQ(privileges(conn), golden_privileges_);
            // The rebuilt schema has the snapshot's fingerprint again.
            conn.exec("BEGIN");
            auto fingerprint = snapshot::schema_fingerprint(conn);
            conn.exec("ROLLBACK");
            EXPECT_EQ(fingerprint, manifest.schema_fingerprint);
            if (HasFailure()) return;
        }
        expect_golden();
    }
};

TEST_F(ResetDrift, IssueNineDdlFallsBackToFullReset) {
    expect_drift_caught({
        {"sequence increment", "ALTER SEQUENCE customer_rowid_seq INCREMENT BY 5"},
        {"grant on a table", "GRANT SELECT ON customer TO sbx_dump"},
        {"revoke on a table", "REVOKE TRUNCATE ON customer FROM sbx_sandbox_owner"},
        {"comment on a table", "COMMENT ON TABLE customer IS 'new comment'"},
        {"comment on a column", "COMMENT ON COLUMN customer.nom IS 'new comment'"},
        {"table fillfactor", "ALTER TABLE customer SET (fillfactor = 50)"},
    });
}

TEST_F(ResetDrift, EveryRestorablePropertyFallsBackToFullReset) {
    expect_drift_caught({
        {"statistics target", "ALTER TABLE customer ALTER COLUMN nom SET STATISTICS 500"},
        {"column options", "ALTER TABLE customer ALTER COLUMN nom SET (n_distinct = 5)"},
        {"column storage", "ALTER TABLE customer ALTER COLUMN nom SET STORAGE EXTERNAL"},
        {"policy", "CREATE POLICY everyone ON customer USING (true)"},
        {"user trigger disabled", "ALTER TABLE customer DISABLE TRIGGER update_customer_modtime"},
        {"column default", "ALTER TABLE customer ALTER COLUMN nom SET DEFAULT 'x'"},
        {"comment changed", "COMMENT ON COLUMN kitchen_sink.label IS 'another label'"},
        {"comment on a function", "COMMENT ON FUNCTION update_modified_column_tms() IS NULL"},
        {"comment on a constraint", "COMMENT ON CONSTRAINT customer_pkey ON customer IS 'the key'"},
        {"sequence bounds and cache", "ALTER SEQUENCE billing.never_used MAXVALUE 100000 CACHE 10 CYCLE"},
        {"sequence owned by", "ALTER SEQUENCE customer_rowid_seq OWNED BY NONE"},
        {"grant on a column", "GRANT UPDATE (nom) ON customer TO sbx_dump"},
        {"grant on a schema", "GRANT USAGE ON SCHEMA billing TO sbx_dump"},
        {"grant on a sequence", "GRANT USAGE ON SEQUENCE billing.invoice_number TO sbx_dump"},
        {"revoke on a function", "REVOKE EXECUTE ON FUNCTION update_modified_column_tms() FROM PUBLIC"},
        {"default privileges",
         "ALTER DEFAULT PRIVILEGES FOR ROLE sbx_sandbox_owner GRANT SELECT ON TABLES TO sbx_dump"},
        {"index fillfactor", "ALTER INDEX customer_pkey SET (fillfactor = 70)"},
        {"view option", "ALTER VIEW customer_names SET (security_barrier = true)"},
        {"function setting", "ALTER FUNCTION update_modified_column_tms() SET work_mem = '1MB'"},
        {"extended statistics", "CREATE STATISTICS customer_stats ON nom, tms FROM customer"},
        {"clustered index", "ALTER TABLE customer CLUSTER ON customer_pkey"},
        {"replica identity", "ALTER TABLE customer REPLICA IDENTITY FULL"},
        {"rule", "CREATE RULE keep_empty AS ON INSERT TO empty_table DO INSTEAD NOTHING"},
        {"domain default", "ALTER DOMAIN positive_int SET DEFAULT 1"},
        {"ownership", "ALTER TABLE empty_table OWNER TO sbx_sandbox_login"},
    });
}

// --- Size of a change and the counts ---------------------------------------

class ResetCounts : public ResetTamper {
protected:
    // A parent and a child large enough to cross the reload threshold.
    std::string golden_extra_sql() const override {
        return R"(SET ROLE sbx_sandbox_owner;
CREATE TABLE bulk_parent (id int PRIMARY KEY, label text);
CREATE TABLE bulk_child (id int PRIMARY KEY, parent_id int NOT NULL REFERENCES bulk_parent, note text);
INSERT INTO bulk_parent SELECT i, 'parent ' || i FROM generate_series(1, 3000) i;
INSERT INTO bulk_child SELECT i, i, 'child ' || i FROM generate_series(1, 3000) i;)";
    }

    void expect_delta(const nlohmann::json& report, long long deleted, long long inserted, long long updated,
                      int reloaded) {
        EXPECT_EQ(report["mode"], "delta") << last_reset_.all();
        EXPECT_EQ(report["rows_deleted"], deleted) << last_reset_.all();
        EXPECT_EQ(report["rows_inserted"], inserted) << last_reset_.all();
        EXPECT_EQ(report["rows_updated"], updated) << last_reset_.all();
        EXPECT_EQ(report["tables_reloaded"], reloaded) << last_reset_.all();
        expect_golden();
    }
};

TEST_F(ResetCounts, DeletedRowsCountAsInsertedOnly) {
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; DELETE FROM bulk_child WHERE id BETWEEN 11 AND 15");
    expect_delta(reset(), 0, 5, 0, 0);
}

TEST_F(ResetCounts, OnlyRowsThatDifferCountAsUpdated) {
    model_->sandbox_sql(R"(SET ROLE sbx_sandbox_login;
UPDATE bulk_child SET note = 'changed' WHERE id BETWEEN 1 AND 3;
UPDATE bulk_child SET note = note WHERE id = 4;
UPDATE bulk_child SET note = 'changed back' WHERE id = 5; UPDATE bulk_child SET note = 'child 5' WHERE id = 5;
INSERT INTO bulk_child VALUES (5001, 1, 'new'), (5002, 2, 'new');
DELETE FROM bulk_child WHERE id = 6;
INSERT INTO bulk_child VALUES (6, 6, 'child 6 again');)");
    expect_delta(reset(), 2, 0, 4, 0);
}

TEST_F(ResetCounts, LargeChangeReloadsTheTableWhole) {
    // A third of the child's rows: reloaded whole, counted exactly.
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; DELETE FROM bulk_child WHERE id % 3 = 0");
    expect_delta(reset(), 0, 1000, 0, 1);
    // Every row of a referenced parent changed: it cannot be emptied while
    // its children point at it, so it is restored row by row, counted exactly.
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; UPDATE bulk_parent SET label = label || '!' WHERE id <= 2000");
    expect_delta(reset(), 0, 0, 2000, 0);
    // Parent and child emptied in part, plus new rows: the child is reloaded,
    // the referenced parent restored row by row.
    model_->sandbox_sql(R"(SET ROLE sbx_sandbox_login;
DELETE FROM bulk_child WHERE id > 1000; DELETE FROM bulk_parent WHERE id > 1500;
INSERT INTO bulk_parent SELECT i, 'new' FROM generate_series(5001, 5100) i;
INSERT INTO bulk_child SELECT i, 5001, 'new' FROM generate_series(5001, 5050) i;
UPDATE bulk_child SET note = 'changed' WHERE id <= 10;)");
    expect_delta(reset(), 150, 3500, 10, 1);
    // Emptied by TRUNCATE: reloaded whole (the child only; the parent keeps
    // its rows as it is referenced).
    model_->sandbox_sql("SET ROLE sbx_sandbox_login; TRUNCATE bulk_child; DELETE FROM bulk_child;");
    expect_delta(reset(), 0, 3000, 0, 1);
}

}  // namespace
}  // namespace sandboxctl::test
