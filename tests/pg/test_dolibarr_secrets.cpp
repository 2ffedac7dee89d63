// The Dolibarr profile's secrets and kept users against a real Dolibarr 22
// database (shared fixture): values planted in prod are copied by a refresh,
// then make_secrets_safe and KeptUsers run on the sandbox inside one
// transaction, as the target role, the way the profile runs them. Skips,
// saying so, when the fixture is absent.
#include <chrono>
#include <iostream>
#include <sstream>

#include "core/log.hpp"
#include "core/temp_dir.hpp"
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"
#include "pg/dolibarr_fixture.hpp"
#include "profiles/dolibarr/dolcrypt.hpp"
#include "profiles/dolibarr/kept_users.hpp"
#include "profiles/dolibarr/secrets.hpp"

namespace sandboxctl::test {
namespace {

using dolibarr::InstanceKey;

// Two instances' ids, as Dolibarr's installer makes them (32 characters).
const InstanceKey& prod_key() {
    static const InstanceKey key("5f0c3a9e8d7b6a5f4e3d2c1b0a9f8e7d");
    return key;
}
const InstanceKey& sandbox_key() {
    static const InstanceKey key("a1b2c3d4e5f60718293a4b5c6d7e8f90");
    return key;
}

// Plain values planted in prod; none may appear in any output.
const std::string smtp_password = "smtp-Password-4471";
const std::string stripe_secret = "sk_live_51HxStripeSecret";
const std::string ai_key_main = "ai-Key-Entity1-9c1d";
const std::string ai_key_global = "ai-Key-Global-77ab";
const std::string oauth_token = R"({"access_token":"ya29.oauthToken"})";
const std::string collector_password = "imap-Password-0912";
const std::string iban_prefix = "FR76300040000";
const std::string extrafield_password = "extra-Password-3345";
const std::string note_secret = "note-Secret-8812";

class DolibarrSecrets : public DolibarrFixture {
protected:
    void SetUp() override {
        DolibarrFixture::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = std::make_unique<Model>(cluster(), test_name());
        load_dolibarr_fixture(*model_);
    }

    Model& model() { return *model_; }

    void refresh_sandbox() {
        auto run = refresh(model());
        ASSERT_EQ(run.exit_code, 0) << run.all();
    }

    // The sandbox as the profile sees it: a transaction, as the target role.
    pg::Connection open_sandbox() {
        auto conn = pg::Connection::open(pg::ConnInfo::parse(model().target(), "target"), "test");
        conn.exec("BEGIN");
        conn.exec("SET LOCAL ROLE " + conn.quote_identifier(sandbox_role));
        return conn;
    }

    // Quoted for SQL typed into psql (the plain secret is test data).
    static std::string literal(const std::string& text) { return pg::quote_literal(text); }
    static std::string encrypted(const std::string& plain, const InstanceKey& key) {
        return literal(dolibarr::encrypt(plain, key, dolibarr::random_iv()));
    }

    std::unique_ptr<Model> model_;
};

// Rows whose text (any column) holds "dolcrypt:", per table of the sandbox:
// read through each row's text form, independently of how the tool finds them.
std::string tables_with_dolcrypt(Model& model) {
    return model.sandbox_sql(R"(
SELECT string_agg(table_name || '=' || n, ',' ORDER BY table_name) FROM (
  SELECT table_name, (xpath('/row/n/text()', query_to_xml(format(
           'SELECT count(*) AS n FROM %I.%I t WHERE t::text LIKE ''%%dolcrypt:%%''', table_schema, table_name),
           false, true, '')))[1]::text::int AS n
    FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE') c
 WHERE n > 0)");
}

long long cleared_count(const dolibarr::SecretsOutcome& outcome, const std::string& place) {
    for (const auto& cleared : outcome.cleared) {
        if (cleared.place == place) return cleared.values;
    }
    return -1;
}

void plant_secrets(Model& model) {
    auto enc = [](const std::string& plain) {
        return pg::quote_literal(dolibarr::encrypt(plain, prod_key(), dolibarr::random_iv()));
    };
    model.prod_sql("INSERT INTO llx_const (name, entity, value, type, visible) VALUES"
                   " ('MAIN_MAIL_SMTPS_PW', 1, " +
                   enc(smtp_password) +
                   ", 'chaine', 0),"
                   " ('STRIPE_LIVE_SECRET_KEY', 2, " +
                   enc(stripe_secret) +
                   ", 'chaine', 0),"
                   " ('AI_API_KEY', 1, " +
                   enc(ai_key_main) +
                   ", 'chaine', 0),"
                   " ('AI_API_KEY', 0, " +
                   enc(ai_key_global) +
                   ", 'chaine', 0),"
                   " ('MAIN_PLAIN_SETTING', 1, 'dolcrypt-free value', 'chaine', 0)");
    model.prod_sql("UPDATE llx_user SET api_key = 'plain-Admin-Key-5521' WHERE login = 'admin'");
    model.prod_sql("INSERT INTO llx_oauth_token (service, token, entity) VALUES ('Google', " + enc(oauth_token) +
                   ", 1)");
    model.prod_sql("INSERT INTO llx_emailcollector_emailcollector (ref, fk_user_creat, status, host, login, password)"
                   " VALUES ('collector', 1, 1, 'imap.example.com', 'inbox', " +
                   enc(collector_password) + ")");
    model.prod_sql("INSERT INTO llx_societe (rowid, nom, entity, note_private) VALUES (1, 'ACME', 1, " +
                   enc(note_secret) + ")");
    model.prod_sql("INSERT INTO llx_societe_rib (fk_soc, label, iban_prefix) VALUES (1, 'main', " + enc(iban_prefix) +
                   ")");
    model.prod_sql("ALTER TABLE llx_societe_extrafields ADD COLUMN vaultpass varchar(128);"
                   "INSERT INTO llx_extrafields (name, entity, elementtype, label, type, param)"
                   " VALUES ('vaultpass', 1, 'societe', 'Vault password', 'password', "
                   "'a:1:{s:7:\"options\";a:1:{s:8:\"dolcrypt\";N;}}');"
                   "INSERT INTO llx_societe_extrafields (fk_object, vaultpass) VALUES (1, " +
                   enc(extrafield_password) + ")");
}

TEST_F(DolibarrSecrets, ClearsEveryEncryptedValueAndRekeysTheListedConstants) {
    plant_secrets(model());
    refresh_sandbox();
    ASSERT_EQ(tables_with_dolcrypt(model()),
              "llx_const=4,llx_emailcollector_emailcollector=1,llx_oauth_token=1,llx_societe=1,"
              "llx_societe_extrafields=1,llx_societe_rib=1,llx_user=1\n");

    auto conn = open_sandbox();
    auto started = std::chrono::steady_clock::now();
    auto outcome = dolibarr::make_secrets_safe(conn, prod_key(), sandbox_key(), {"AI_API_KEY", "MAIN_ABSENT_PW"});
    auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    conn.exec("COMMIT");
    std::cout << "make_secrets_safe on the Dolibarr fixture (276 tables): " << elapsed.count() << " ms\n";

    EXPECT_EQ(outcome.rekeyed, std::vector<std::string>{"AI_API_KEY"});
    EXPECT_EQ(outcome.rekey_absent, std::vector<std::string>{"MAIN_ABSENT_PW"});
    EXPECT_EQ(cleared_count(outcome, "llx_const.MAIN_MAIL_SMTPS_PW"), 1);
    EXPECT_EQ(cleared_count(outcome, "llx_const.STRIPE_LIVE_SECRET_KEY"), 1);
    EXPECT_EQ(cleared_count(outcome, "llx_user.api_key"), 2);  // jdoe's encrypted key, admin's plain one
    EXPECT_EQ(cleared_count(outcome, "llx_oauth_token.token"), 1);
    EXPECT_EQ(cleared_count(outcome, "llx_emailcollector_emailcollector.password"), 1);
    EXPECT_EQ(cleared_count(outcome, "llx_societe_rib.iban_prefix"), 1);
    EXPECT_EQ(cleared_count(outcome, "llx_societe_extrafields.vaultpass"), 1);
    EXPECT_EQ(cleared_count(outcome, "llx_societe.note_private"), 1);  // found by the scan, listed nowhere
    EXPECT_EQ(cleared_count(outcome, "llx_const.AI_API_KEY"), -1);
    EXPECT_EQ(outcome.cleared.size(), 8U);

    // Only the re-keyed constants are still encrypted, and only the sandbox reads them.
    EXPECT_EQ(tables_with_dolcrypt(model()), "llx_const=2\n");
    auto values = model().sandbox_sql("SELECT value FROM llx_const WHERE name = 'AI_API_KEY' ORDER BY entity");
    std::istringstream lines(values);
    std::vector<std::string> plain;
    for (std::string line; std::getline(lines, line);) {
        ASSERT_TRUE(dolibarr::is_dolcrypt(line)) << "not encrypted";
        auto decrypted = dolibarr::decrypt(line, sandbox_key());
        ASSERT_TRUE(decrypted.has_value());
        plain.push_back(*decrypted);
        EXPECT_NE(dolibarr::decrypt(line, prod_key()), decrypted);
    }
    EXPECT_EQ(plain, (std::vector<std::string>{ai_key_global, ai_key_main}));

    // Cleared: NULL where the column allows it, '' in llx_const.value (NOT NULL).
    EXPECT_EQ(
        model().sandbox_sql("SELECT name, value = '' FROM llx_const WHERE name IN "
                            "('MAIN_MAIL_SMTPS_PW', 'STRIPE_LIVE_SECRET_KEY', 'MAIN_PLAIN_SETTING') ORDER BY name"),
        "MAIN_MAIL_SMTPS_PW|t\nMAIN_PLAIN_SETTING|f\nSTRIPE_LIVE_SECRET_KEY|t\n");
    EXPECT_EQ(model().sandbox_sql("SELECT count(*) FROM llx_user WHERE api_key IS NOT NULL"), "0\n");
    EXPECT_EQ(model().sandbox_sql("SELECT token IS NULL FROM llx_oauth_token"), "t\n");
    EXPECT_EQ(model().sandbox_sql("SELECT password IS NULL, host FROM llx_emailcollector_emailcollector"),
              "t|imap.example.com\n");
    // Prod is untouched.
    EXPECT_EQ(model().prod_sql("SELECT count(*) FROM llx_const WHERE value LIKE 'dolcrypt:%'"), "4\n");

    // The scan alone, on the cleaned copy (rolled back: it would clear the re-keyed values).
    auto again = open_sandbox();
    started = std::chrono::steady_clock::now();
    auto second = dolibarr::make_secrets_safe(again, std::nullopt, std::nullopt, {});
    elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    again.exec("ROLLBACK");
    std::cout << "its scan of every string column, nothing to clear: " << elapsed.count() << " ms\n";
    EXPECT_EQ(cleared_count(second, "llx_const.AI_API_KEY"), 2);
    EXPECT_EQ(cleared_count(second, "llx_oauth_token.token"), 0);
}

// A wrong prod key cannot be detected by CTR: the decrypted bytes are not
// text, which refuses the run, naming the constant and never a value.
TEST_F(DolibarrSecrets, WrongProdKeyRefusesWithoutShowingTheValue) {
    std::string stored = dolibarr::encrypt(smtp_password, prod_key(), dolibarr::fixed_iv());
    model().prod_sql("INSERT INTO llx_const (name, entity, value) VALUES ('MAIN_MAIL_SMTPS_PW', 1, " +
                     pg::quote_literal(stored) + ")");
    refresh_sandbox();
    auto conn = open_sandbox();
    try {
        dolibarr::make_secrets_safe(conn, InstanceKey("ffffffffffffffffffffffffffffffff"), sandbox_key(),
                                    {"MAIN_MAIL_SMTPS_PW"});
        FAIL() << "a wrong prod key was not noticed";
    } catch (const Error& error) {
        std::string text = std::string(error.what()) + "\n" + error.hint();
        EXPECT_EQ(error.code(), ExitCode::refused);
        EXPECT_NE(text.find("llx_const \"MAIN_MAIL_SMTPS_PW\""), std::string::npos) << text;
        EXPECT_NE(text.find("prod_conf"), std::string::npos) << text;
        EXPECT_EQ(text.find(smtp_password), std::string::npos);
        EXPECT_EQ(text.find(stored.substr(22)), std::string::npos);
        EXPECT_EQ(text.find(prod_key().bytes()), std::string::npos);
    }
}

TEST_F(DolibarrSecrets, RekeyWithoutBothKeysIsAConfigurationError) {
    refresh_sandbox();
    auto conn = open_sandbox();
    try {
        dolibarr::make_secrets_safe(conn, prod_key(), std::nullopt, {"MAIN_MAIL_SMTPS_PW"});
        FAIL() << "no sandbox key, yet a rekey was attempted";
    } catch (const Error& error) {
        EXPECT_EQ(error.code(), ExitCode::usage);
        EXPECT_NE(std::string(error.what()).find("sandbox's instance key"), std::string::npos) << error.what();
    }
    // Without rekey names no key is needed: everything is cleared.
    conn.exec("ROLLBACK");
    auto again = open_sandbox();
    auto outcome = dolibarr::make_secrets_safe(again, std::nullopt, std::nullopt, {});
    EXPECT_EQ(cleared_count(outcome, "llx_user.api_key"), 1);
}

// With --verbose every SQL statement is logged: none may carry a value, a
// plain secret or a key.
TEST_F(DolibarrSecrets, NothingSecretIsLogged) {
    plant_secrets(model());
    model().prod_sql("INSERT INTO llx_user (rowid, login, entity, pass_crypted, api_key) VALUES"
                     " (10, 'ai_agent', 1, 'hash-Of-Agent-Pass', 'agent-Api-Key-6613')");
    refresh_sandbox();
    // The output is captured until the run ends, even when it throws.
    log::set_level(log::Level::verbose);
    testing::internal::CaptureStderr();
    testing::internal::CaptureStdout();
    std::string failed;
    try {
        auto conn = open_sandbox();
        auto kept = dolibarr::KeptUsers::capture(conn, {"ai_agent"});
        dolibarr::make_secrets_safe(conn, prod_key(), sandbox_key(), {"AI_API_KEY"});
        kept.restore(conn);
        conn.exec("COMMIT");
    } catch (const std::exception& error) {
        failed = error.what();
    }
    std::string out = testing::internal::GetCapturedStdout();
    std::string err = testing::internal::GetCapturedStderr();
    log::set_level(log::Level::normal);
    ASSERT_EQ(failed, "");
    std::string logged = out + err;
    EXPECT_NE(logged.find("UPDATE"), std::string::npos) << "verbose SQL log expected:\n" << logged;
    for (const std::string& secret :
         {smtp_password, stripe_secret, ai_key_main, ai_key_global, oauth_token, collector_password, iban_prefix,
          extrafield_password, note_secret, std::string("hash-Of-Agent-Pass"), std::string("agent-Api-Key-6613"),
          std::string("plain-Admin-Key-5521"), prod_key().bytes(), sandbox_key().bytes()}) {
        EXPECT_EQ(logged.find(secret), std::string::npos) << "a secret was logged";
    }
    EXPECT_EQ(logged.find("dolcrypt:AES"), std::string::npos) << "an encrypted value was logged";
    // The kept user's key came back; every other one is gone.
    EXPECT_EQ(model().sandbox_sql("SELECT login, api_key FROM llx_user WHERE api_key IS NOT NULL"),
              "ai_agent|agent-Api-Key-6613\n");
}

// The three collisions at once, plus rights and groups, the way a reset runs
// it (no make_secrets_safe): the sandbox has admin (rowid 1, also prod's
// admin), ai_agent (rowid 3, which prod gives to alice) and tester (rowid 4;
// prod has another tester at rowid 5).
TEST_F(DolibarrSecrets, KeptUsersSurviveEveryCollision) {
    model().prod_sql("INSERT INTO llx_usergroup (rowid, nom, entity) VALUES (1, 'Sales', 1)");
    refresh_sandbox();
    std::string agent_key = dolibarr::encrypt("agent-Api-Key-6613", sandbox_key(), dolibarr::fixed_iv());
    model().sandbox_sql(
        "UPDATE llx_user SET pass_crypted = 'sandbox-Hash-Admin', api_key = 'admin-Sandbox-Key' WHERE login = 'admin';"
        "INSERT INTO llx_user_rights (entity, fk_user, fk_id) VALUES (1, 1, 4001);"
        "INSERT INTO llx_user_param (fk_user, entity, param, value) VALUES (1, 1, 'MAIN_LANG_DEFAULT', 'fr_FR');"
        "INSERT INTO llx_user (rowid, entity, login, pass_crypted, api_key, admin, fk_member, statut) VALUES"
        " (3, 1, 'ai_agent', 'hash-Agent', " +
        pg::quote_literal(agent_key) +
        ", 0, 7, 1),"
        " (4, 1, 'tester', 'hash-Tester', NULL, 1, NULL, 1);"
        "INSERT INTO llx_user_rights (entity, fk_user, fk_id) VALUES (1, 3, 1201), (1, 3, 1202), (1, 3, 2401),"
        " (1, 4, 1201);"
        "INSERT INTO llx_usergroup (rowid, nom, entity) VALUES (2, 'Testers', 1);"
        "INSERT INTO llx_usergroup_user (entity, fk_user, fk_usergroup) VALUES (1, 3, 1), (1, 3, 2);"
        "INSERT INTO llx_user_param (fk_user, entity, param, value) VALUES (3, 1, 'MAIN_SIZE_LISTE_LIMIT', '100');"
        "INSERT INTO llx_user_extrafields (fk_object) VALUES (3);");

    auto before = open_sandbox();
    auto kept = dolibarr::KeptUsers::capture(before, {"admin", "ai_agent", "tester", "ghost"});
    before.exec("COMMIT");

    // Meanwhile in prod: alice takes rowid 3, another tester and bob (who
    // holds member 7 and ai_agent's API key) arrive.
    model().prod_sql("INSERT INTO llx_user (rowid, entity, login, pass_crypted, api_key, fk_member, statut) VALUES"
                     " (3, 1, 'alice', 'hash-Alice', NULL, NULL, 1),"
                     " (5, 1, 'tester', 'hash-Prod-Tester', NULL, NULL, 1),"
                     " (6, 1, 'bob', 'hash-Bob', " +
                     pg::quote_literal(agent_key) +
                     ", 7, 1);"
                     "INSERT INTO llx_user_rights (entity, fk_user, fk_id) VALUES (1, 3, 9999);"
                     "SELECT setval('llx_user_rowid_seq', 6);");
    refresh_sandbox();

    auto after = open_sandbox();
    auto outcome = kept.restore(after);
    after.exec("COMMIT");

    ASSERT_EQ(outcome.users.size(), 4U);
    const auto& admin = outcome.users[0];
    EXPECT_TRUE(admin.found);
    EXPECT_EQ(admin.rowid, 1);
    EXPECT_EQ(admin.sandbox_rowid, 1);
    EXPECT_EQ(admin.prod_user, "");

    const auto& agent = outcome.users[1];
    EXPECT_EQ(agent.login, "ai_agent");
    EXPECT_EQ(agent.sandbox_rowid, 3);
    EXPECT_EQ(agent.rowid, 7);  // the sequence's next value
    EXPECT_NE(agent.prod_user.find("rowid 3 is prod user \"alice\""), std::string::npos) << agent.prod_user;
    EXPECT_NE(agent.prod_user.find("\"bob\" lost its API key"), std::string::npos) << agent.prod_user;
    EXPECT_EQ(agent.cleared_columns, std::vector<std::string>{"fk_member"});
    EXPECT_EQ(agent.dropped_groups, std::vector<std::string>{"\"Testers\" (entity 1)"});

    const auto& tester = outcome.users[2];
    EXPECT_EQ(tester.rowid, 4);
    EXPECT_NE(tester.prod_user.find("prod user \"tester\" (rowid 5) renamed \"tester.prod\" and disabled"),
              std::string::npos)
        << tester.prod_user;
    EXPECT_FALSE(outcome.users[3].found);
    EXPECT_EQ(outcome.users[3].login, "ghost");

    EXPECT_EQ(
        model().sandbox_sql("SELECT rowid, login, entity, pass_crypted, coalesce(api_key, '-'), admin, "
                            "coalesce(fk_member::text, '-'), statut FROM llx_user WHERE rowid <> 2 ORDER BY rowid"),
        "1|admin|0|sandbox-Hash-Admin|admin-Sandbox-Key|1|-|1\n"
        "3|alice|1|hash-Alice|-|0|-|1\n"
        "4|tester|1|hash-Tester|-|1|-|1\n"
        "5|tester.prod|1|hash-Prod-Tester|-|0|-|0\n"
        "6|bob|1|hash-Bob|-|0|7|1\n"
        "7|ai_agent|1|hash-Agent|" +
            agent_key + "|0|-|1\n");
    // Rights follow the new rowid; prod's rows stay (admin keeps prod's ten and its sandbox one).
    EXPECT_EQ(model().sandbox_sql("SELECT fk_user, string_agg(fk_id::text, ',' ORDER BY fk_id) FROM llx_user_rights"
                                  " GROUP BY fk_user ORDER BY fk_user"),
              "1|1201,1202,1251,2401,2402,2403,2411,2412,2413,2414,4001\n3|9999\n4|1201\n7|1201,1202,2401\n");
    EXPECT_EQ(model().sandbox_sql("SELECT fk_user, fk_usergroup FROM llx_usergroup_user"), "7|1\n");
    EXPECT_EQ(model().sandbox_sql("SELECT fk_user, param, value FROM llx_user_param ORDER BY fk_user"),
              "1|MAIN_LANG_DEFAULT|fr_FR\n7|MAIN_SIZE_LISTE_LIMIT|100\n");
    EXPECT_EQ(model().sandbox_sql("SELECT fk_object FROM llx_user_extrafields"), "7\n");
    // The application's next user does not collide with the kept ones.
    EXPECT_EQ(model().sandbox_sql("SELECT nextval('llx_user_rowid_seq')"), "8\n");
    // Prod is untouched.
    EXPECT_EQ(model().prod_sql("SELECT string_agg(login, ',' ORDER BY rowid) FROM llx_user"),
              "admin,jdoe,alice,tester,bob\n");
}

// Issue 18, item 7: the agent's user was linked to its own test company;
// prod gave that rowid to a real customer, and after the refresh the agent
// was an external user of that customer. A reference now stays only where
// prod's row is the same record, and is cleared and reported otherwise.
TEST_F(DolibarrSecrets, AKeptUserNeverPointsAtAnotherPartysRecord) {
    refresh_sandbox();
    model().sandbox_sql("INSERT INTO llx_societe (rowid, nom, entity) VALUES (900, 'Agent Test Company', 1);"
                        "INSERT INTO llx_user (rowid, entity, login, pass_crypted, fk_soc, fk_user, statut) VALUES"
                        " (30, 1, 'ai_agent', 'hash-Agent', 900, 1, 1)");
    auto before = open_sandbox();
    auto kept = dolibarr::KeptUsers::capture(before, {"ai_agent"});
    before.exec("COMMIT");
    model().prod_sql("INSERT INTO llx_societe (rowid, nom, entity) VALUES (900, 'Real Customer SA', 1)");
    refresh_sandbox();

    auto after = open_sandbox();
    auto outcome = kept.restore(after);
    after.exec("COMMIT");
    ASSERT_EQ(outcome.users.size(), 1U);
    EXPECT_EQ(outcome.users[0].cleared_references,
              std::vector<std::string>{"fk_soc (llx_societe rowid 900 is another record in prod)"});
    // fk_user names admin, the same record on both sides: it stays.
    EXPECT_EQ(model().sandbox_sql("SELECT coalesce(fk_soc::text, '-'), fk_user FROM llx_user WHERE login = 'ai_agent'"),
              "-|1\n");
}

// A login as long as the column: the renamed prod user's login is cut to fit
// ".prod", ".prod2" when ".prod" is taken. Before the first refresh the
// sandbox has no llx_user: nothing is kept, and that is no error.
TEST_F(DolibarrSecrets, RenamedProdLoginFitsTheColumn) {
    const std::string login(50, 'k');
    {
        auto empty = open_sandbox();
        auto none = dolibarr::KeptUsers::capture(empty, {login});
        empty.exec("COMMIT");
        refresh_sandbox();
        auto conn = open_sandbox();
        auto outcome = none.restore(conn);
        ASSERT_EQ(outcome.users.size(), 1U);
        EXPECT_FALSE(outcome.users[0].found);
        conn.exec("COMMIT");
    }
    model().sandbox_sql("INSERT INTO llx_user (rowid, entity, login, pass_crypted) VALUES (20, 1, '" + login +
                        "', 'hash-Kept')");
    auto before = open_sandbox();
    auto kept = dolibarr::KeptUsers::capture(before, {login});
    before.exec("COMMIT");
    const std::string cut = login.substr(0, 45);
    model().prod_sql("INSERT INTO llx_user (rowid, entity, login) VALUES (30, 1, '" + login + "'), (31, 1, '" + cut +
                     ".prod')");
    refresh_sandbox();
    auto after = open_sandbox();
    auto outcome = kept.restore(after);
    after.exec("COMMIT");
    ASSERT_EQ(outcome.users.size(), 1U);
    EXPECT_EQ(outcome.users[0].rowid, 20);
    EXPECT_EQ(
        model().sandbox_sql("SELECT rowid, login, statut FROM llx_user WHERE rowid IN (20, 30, 31) ORDER BY rowid"),
        "20|" + login + "|1\n30|" + login.substr(0, 44) + ".prod2|0\n31|" + cut + ".prod|1\n");
}

}  // namespace
}  // namespace sandboxctl::test
