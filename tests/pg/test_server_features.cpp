// What a server version brings to the schema, through refresh, snapshot and
// reset (docs/manual.md#supported-postgresql-versions). The adversarial
// fixture's table `priced` holds PostgreSQL 18's: a virtual generated
// column, a NOT NULL constraint with a name of its own, a CHECK NOT ENFORCED
// that a prod row breaks; on older servers the nearest they have (a stored
// column, an unnamed NOT NULL, a CHECK NOT VALID). Each test runs on every
// version and checks what that version has.
#include <nlohmann/json.hpp>

#include "pg/reset_fixture.hpp"

namespace sandboxctl::test {
namespace {

class ServerFeatures : public ResetFixture {
protected:
    bool has_18() { return cluster().server_major() >= 18; }

    std::string sandbox_value(const std::string& sql) {
        auto conn = admin_connection();
        return conn.query_value(sql);
    }
};

TEST_F(ServerFeatures, GeneratedColumnsComeAsDeclaredAndADeltaResetPutsTheirRowsBack) {
    EXPECT_EQ(sandbox_value("SELECT attgenerated::text FROM pg_attribute "
                            "WHERE attrelid = 'priced'::regclass AND attname = 'gross'"),
              has_18() ? "v" : "s");
    EXPECT_EQ(sandbox_value("SELECT string_agg(gross::text, ',' ORDER BY id) FROM priced"), "12.00,3.00,-1.20");
    model_->sandbox_sql(
        "SET ROLE sbx_sandbox_login; UPDATE priced SET net = 20 WHERE id = 1; "
        "DELETE FROM priced WHERE id = 2; INSERT INTO priced (id, net, currency) VALUES (4, 1, 'CHF');");
    auto report = reset();
    EXPECT_EQ(report["mode"], "delta") << last_reset_.all();
    EXPECT_EQ(sandbox_value("SELECT string_agg(gross::text, ',' ORDER BY id) FROM priced"), "12.00,3.00,-1.20");
    expect_golden();
}

TEST_F(ServerFeatures, AConstraintNotEnforcedOrNotValidStaysSoWithItsRows) {
    // Prod's row 3 breaks the CHECK: the copy keeps it, and the constraint as prod has it.
    EXPECT_EQ(sandbox_value("SELECT count(*) FROM priced WHERE net < 0"), "1");
    auto definition = sandbox_value("SELECT pg_get_constraintdef(oid) || ' ' || convalidated::text "
                                    "FROM pg_constraint WHERE conname = 'priced_net_positive'");
    EXPECT_EQ(definition, has_18() ? "CHECK ((net > (0)::numeric)) NOT ENFORCED false"
                                   : "CHECK ((net > (0)::numeric)) NOT VALID false");
}

TEST_F(ServerFeatures, ANotNullConstraintRenamedOrDroppedIsDrift) {
    if (has_18()) {
        // 18: NOT NULL constraints are catalog entries, with their names.
        EXPECT_EQ(sandbox_value("SELECT contype::text FROM pg_constraint WHERE conname = 'priced_currency_required'"),
                  "n");
        model_->sandbox_sql("SET ROLE sbx_sandbox_login; "
                            "ALTER TABLE priced RENAME CONSTRAINT priced_currency_required TO renamed_by_a_test");
    } else {
        model_->sandbox_sql("SET ROLE sbx_sandbox_login; ALTER TABLE priced ALTER currency DROP NOT NULL");
    }
    auto report = reset();
    EXPECT_EQ(report["mode"], "full") << last_reset_.all();
    EXPECT_EQ(report["why_full"], "the schema changed since the snapshot") << last_reset_.all();
    if (has_18()) {
        EXPECT_EQ(sandbox_value("SELECT count(*) FROM pg_constraint WHERE conname = 'priced_currency_required'"), "1");
    }
    EXPECT_EQ(sandbox_value("SELECT attnotnull::text FROM pg_attribute "
                            "WHERE attrelid = 'priced'::regclass AND attname = 'currency'"),
              "true");
    expect_golden();
}

}  // namespace
}  // namespace sandboxctl::test
