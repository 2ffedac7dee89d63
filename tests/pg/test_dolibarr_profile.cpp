// The Dolibarr profile on a real Dolibarr 22 database (shared fixture): live
// channels planted in prod are all off in the sandbox after a refresh, prod is
// untouched, app-check agrees, and a sandbox that is not safe is refused (exit
// 3) without a commit. Skips, saying so, when the fixture is absent.
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "core/temp_dir.hpp"
#include "harness/fidelity.hpp"
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"
#include "pg/dolibarr_fixture.hpp"
#include "profiles/dolibarr/dolcrypt.hpp"

namespace sandboxctl::test {
namespace {

constexpr const char* sink = "sink@sandbox.test";

// Channels a real prod has on: the fixture's own reminder job (status 1) and
// more, in entity 1 and in a second company (entity 2).
constexpr const char* live_prod = R"(
INSERT INTO llx_cronjob (jobtype, label, classesname, methodename, status, entity, datec)
  VALUES ('method', 'sendBackup', 'core/class/utils.class.php', 'sendBackup', 1, 1, now());
CREATE TABLE llx_webhook_target (rowid serial PRIMARY KEY, entity integer DEFAULT 1 NOT NULL,
  ref varchar(128) NOT NULL, label varchar(255), type integer DEFAULT 0 NOT NULL, description text,
  note_public text, note_private text, date_creation timestamp NOT NULL, tms timestamp DEFAULT now(),
  fk_user_creat integer NOT NULL, fk_user_modif integer, import_key varchar(14), status integer DEFAULT 0 NOT NULL,
  url varchar(255) NOT NULL, connection_method varchar(255), connection_data varchar(255), trigger_codes text);
ALTER TABLE llx_webhook_target OWNER TO sbx_app;
ALTER SEQUENCE llx_webhook_target_rowid_seq OWNER TO sbx_app;
INSERT INTO llx_webhook_target (ref, date_creation, fk_user_creat, status, url)
  VALUES ('partner-erp', now(), 1, 1, 'https://partner.example/hook?token=t0ken');
INSERT INTO llx_actioncomm_reminder (dateremind, typeremind, fk_user, offsetvalue, offsetunit, status, entity, fk_actioncomm)
  VALUES (now() + interval '1 day', 'email', 1, 10, 'i', 0, 1, 1);
INSERT INTO llx_const (name, entity, value, type, visible) VALUES
  ('MAIN_MODULE_WEBHOOK', 1, '1', 'string', 0),
  ('MAIN_MODULE_NOTIFICATION', 1, '1', 'string', 0),
  ('NOTIFICATION_FIXEDEMAIL_BILL_VALIDATE', 1, 'boss@customer.example', 'chaine', 0),
  ('STRIPE_LIVE', 1, '1', 'chaine', 0),
  ('STRIPE_LIVE', 2, '1', 'chaine', 0),
  ('STRIPE_LIVE_SECRET_KEY', 1, 'sk_live_plaintextkey', 'chaine', 0),
  ('MAIN_MAIL_SENDMODE_TICKET', 1, 'smtps', 'chaine', 0),
  ('MAIN_MAIL_SMTP_SERVER_TICKET', 1, 'smtp.tickets.example', 'chaine', 0),
  ('LDAP_SYNCHRO_ACTIVE', 1, '1', 'chaine', 0),
  ('ADHERENT_USE_MAILMAN', 1, '1', 'chaine', 0),
  ('CLICKTODIAL_URL', 1, 'https://pbx.example/call', 'chaine', 0),
  ('MAIN_APPLICATION_TITLE', 1, 'Acme ERP', 'chaine', 0),
  ('MAIN_DISABLE_ALL_MAILS', 2, '0', 'chaine', 0);
CREATE TABLE llx_printer_receipt (rowid serial PRIMARY KEY, name varchar(128), fk_type integer, fk_profile integer,
  parameter varchar(128), entity integer);
ALTER TABLE llx_printer_receipt OWNER TO sbx_app;
ALTER SEQUENCE llx_printer_receipt_rowid_seq OWNER TO sbx_app;
INSERT INTO llx_printer_receipt (name, fk_type, fk_profile, parameter, entity) VALUES
  ('log only', 1, 0, '', 1), ('kitchen', 3, 0, '192.0.2.10:9100', 1), ('counter', 5, 0, 'TM-T20', 1);
INSERT INTO llx_user_clicktodial (fk_user, url, login, pass) VALUES (1, 'https://pbx.example/dial', 'admin', 'pbx-Pass');
UPDATE llx_societe SET webservices_url = 'https://supplier.example/ws', webservices_key = 'ws-Key'
 WHERE rowid = (SELECT min(rowid) FROM llx_societe);
INSERT INTO llx_const (name, entity, value, type, visible) VALUES
  ('TAKEPOS_AUTO_ORDER', 1, '1', 'chaine', 0),
  ('MAIN_MODULE_CLICKTODIAL', 1, '1', 'string', 0),
  ('FTP_SERVER_1', 1, 'ftp.example', 'chaine', 0),
  ('FTP_PASSWORD_1', 1, 'ftp-Plain-Pass', 'chaine', 0),
  ('LDAP_SERVER_HOST', 1, 'ldap.example', 'chaine', 0),
  ('PRINTING_PRINTIPP', 1, '1', 'chaine', 0);
UPDATE llx_const SET value = 'smtps' WHERE name = 'MAIN_MAIL_SENDMODE';
UPDATE llx_const SET value = 'smtp.prod.example' WHERE name = 'MAIN_MAIL_SMTP_SERVER';
UPDATE llx_const SET value = '587' WHERE name = 'MAIN_MAIL_SMTP_PORT';
)";

class DolibarrProfile : public DolibarrFixture {
protected:
    void SetUp() override {
        DolibarrFixture::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = std::make_unique<Model>(cluster(), test_name());
        load_dolibarr_fixture(*model_);
        model_->prod_sql(live_prod);
        config_ = write_config(fmt_mail());
    }

    static std::string fmt_mail() { return std::string("sink:localhost:2525:") + sink; }

    // conf.php files with distinct instance ids, and the config naming them
    // (relative paths: relative to the config file).
    std::filesystem::path write_config(const std::string& mail) {
        std::ofstream(work_ / "sandbox_conf.php")
            << "<?php\n$dolibarr_main_db_name='sandbox';\n$dolibarr_main_instance_unique_id='"
            << "5b1e0c7d2f9a4e68b3c1d0e9f8a7b6c5';\n";
        std::ofstream(work_ / "prod_conf.php")
            << "<?php\n$dolibarr_main_instance_unique_id = '0f9e8d7c6b5a49382716a5b4c3d2e1f0';\n";
        auto path = work_ / "sandboxctl.toml";
        std::ofstream(path) << "[dolibarr]\nsandbox_conf = \"sandbox_conf.php\"\nprod_conf = \"prod_conf.php\"\n"
                            << "mail = \"" << mail << "\"\n";
        return path;
    }

    ToolRun refresh_with_profile(std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"-c",       config_.string(), "refresh", "--source", model_->source(),
                                         "--target", model_->target()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_tool(args, state_env());
    }
    ToolRun app_check(std::vector<std::string> extra = {}, bool with_config = true) {
        std::vector<std::string> args;
        if (with_config) args = {"-c", config_.string()};
        args.insert(args.end(), {"app-check", "--target", model_->target()});
        args.insert(args.end(), extra.begin(), extra.end());
        return run_tool(args);
    }
    std::string sandbox(const std::string& sql) { return model_->sandbox_sql(sql); }
    // After `sql` switches a channel back on, app-check exits 3 naming `where`.
    void expect_live_after(const std::string& sql, const std::string& where) {
        sandbox(sql);
        auto live = app_check();
        EXPECT_EQ(live.exit_code, 3) << live.all();
        EXPECT_NE(live.out.find(where), std::string::npos) << live.out;
    }

    TempDir work_;
    std::unique_ptr<Model> model_;
    std::filesystem::path config_;
};

TEST_F(DolibarrProfile, AppCheckNamesEveryPlantedChannelInProd) {
    // Read-only: the dump login may run it on prod itself.
    auto check = run_tool({"app-check", "--target", model_->source(), "--json", "-"});
    ASSERT_EQ(check.exit_code, 3) << check.all();
    auto doc = nlohmann::json::parse(check.out);
    EXPECT_EQ(doc["live"], true);
    std::set<std::string> where;
    for (const auto& c : doc["live_channels"]) where.insert(c["where"].get<std::string>());
    for (const char* expected :
         {"llx_cronjob rowid 1", "llx_cronjob rowid 2", "llx_webhook_target rowid 1",
          "llx_const STRIPE_LIVE (entity 1)", "llx_const STRIPE_LIVE (entity 2)",
          "llx_const STRIPE_LIVE_SECRET_KEY (entity 1)", "llx_const MAIN_DISABLE_ALL_MAILS (entity 1)",
          "llx_const MAIN_DISABLE_ALL_MAILS (entity 2)", "llx_const MAIN_MODULE_NOTIFICATION (entity 1)",
          "llx_actioncomm_reminder status 0", "llx_const LDAP_SYNCHRO_ACTIVE (entity 1)",
          "llx_const ADHERENT_USE_MAILMAN (entity 1)", "llx_const CLICKTODIAL_URL (entity 1)",
          "llx_const TICKET_DISABLE_ALL_MAILS (entity 1)", "llx_const MAIN_DISABLE_ALL_SMS (entity 1)",
          "llx_const MAIN_FIRST_PING_OK_ID (entity 1)",
          // Issue 18, item 4 and the audit of Dolibarr's channels.
          "llx_printer_receipt rowid 2", "llx_printer_receipt rowid 3", "llx_const TAKEPOS_AUTO_ORDER (entity 1)",
          "llx_const MAIN_MODULE_CLICKTODIAL (entity 1)", "llx_user_clicktodial", "llx_const FTP_SERVER_1 (entity 1)",
          "llx_const FTP_PASSWORD_1 (entity 1)", "llx_const LDAP_SERVER_HOST (entity 1)",
          "llx_const PRINTING_PRINTIPP (entity 1)", "llx_const MAIN_URL_FOR_PING (entity 1)"}) {
        EXPECT_TRUE(where.count(expected)) << expected << " missing from\n" << check.all();
    }
    // No secret in the output: neither the plain Stripe key nor the webhook's token.
    EXPECT_EQ(check.all().find("sk_live_plaintextkey"), std::string::npos);
    EXPECT_EQ(check.all().find("t0ken"), std::string::npos);
    EXPECT_EQ(where.count("llx_printer_receipt rowid 1"), 0u);  // the dummy printer only logs
    for (const char* secret : {"192.0.2.10", "pbx-Pass", "ftp-Plain-Pass", "ws-Key"}) {
        EXPECT_EQ(check.all().find(secret), std::string::npos) << secret;
    }
}

TEST_F(DolibarrProfile, RefreshSwitchesEveryChannelOffAndLeavesProdUntouched) {
    auto prod_before = capture_state(cluster(), model_->prod(), app_role);
    auto run = refresh_with_profile({"--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto report = nlohmann::json::parse(run.out);
    ASSERT_TRUE(report["dolibarr"].is_object()) << run.out;
    EXPECT_EQ(report["dolibarr"]["mode"], "refresh");
    EXPECT_EQ(report["dolibarr"]["firewall"]["mail"], "forced to the sink localhost:2525, recipient sink@sandbox.test");
    EXPECT_NE(run.err.find("Dolibarr profile (refresh)"), std::string::npos) << run.err;  // text on stderr

    auto prod_after = capture_state(cluster(), model_->prod(), app_role);
    EXPECT_TRUE(prod_before == prod_after) << describe_differences(prod_before, prod_after);

    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_cronjob WHERE status = 1"), "0\n");
    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_cronjob WHERE status = 0"), "2\n");
    EXPECT_EQ(sandbox("SELECT status FROM llx_webhook_target"), "0\n");
    EXPECT_EQ(sandbox("SELECT status FROM llx_actioncomm_reminder"), "1\n");
    EXPECT_EQ(sandbox("SELECT string_agg(entity || '=' || value, ',' ORDER BY entity) FROM llx_const "
                      "WHERE name = 'STRIPE_LIVE'"),
              "0=0,1=0,2=0\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'STRIPE_LIVE_SECRET_KEY'"), "\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_MODULE_NOTIFICATION'"), "0\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'LDAP_SYNCHRO_ACTIVE'"), "0\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'CLICKTODIAL_URL'"), "\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_MAIL_SENDMODE_TICKET'"), "default\n");
    // Every entity sends to the sink: entity 1's rows and entity 0's for entity 2.
    EXPECT_EQ(sandbox("SELECT string_agg(DISTINCT value, ',') FROM llx_const WHERE name = 'MAIN_MAIL_FORCE_SENDTO'"),
              std::string(sink) + "\n");
    EXPECT_EQ(sandbox("SELECT string_agg(DISTINCT value, ',') FROM llx_const WHERE name = 'MAIN_MAIL_SMTP_SERVER'"),
              "localhost\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_DISABLE_ALL_MAILS' AND entity = 2"), "0\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_FIRST_PING_OK_ID' AND entity = 0"), "disabled\n");
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_APPLICATION_TITLE' AND entity = 1"),
              "SANDBOX - Acme ERP\n");
    EXPECT_NE(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_MOTD' AND entity = 0").find("SANDBOX"),
              std::string::npos);

    EXPECT_EQ(sandbox("SELECT string_agg(rowid || '=' || fk_type, ',' ORDER BY rowid) FROM llx_printer_receipt"),
              "1=1,2=1,3=1\n");
    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_user_clicktodial WHERE url IS NOT NULL OR pass IS NOT NULL"), "0\n");
    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_societe WHERE webservices_key IS NOT NULL"), "0\n");
    EXPECT_EQ(sandbox("SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM llx_const WHERE name IN "
                      "('TAKEPOS_AUTO_ORDER', 'MAIN_MODULE_CLICKTODIAL', 'FTP_SERVER_1', 'FTP_PASSWORD_1', "
                      "'LDAP_SERVER_HOST', 'PRINTING_PRINTIPP')"),
              "FTP_PASSWORD_1=,FTP_SERVER_1=,LDAP_SERVER_HOST=,MAIN_MODULE_CLICKTODIAL=0,PRINTING_PRINTIPP=0,"
              "TAKEPOS_AUTO_ORDER=0\n");
    auto check = app_check();
    EXPECT_EQ(check.exit_code, 0) << check.all();
    EXPECT_NE(check.out.find("no live outgoing channel"), std::string::npos) << check.out;
    // Without the config too: mail is forced to one recipient, no context overrides it.
    auto bare = app_check({}, false);
    EXPECT_EQ(bare.exit_code, 0) << bare.all();

    sandbox("UPDATE llx_cronjob SET status = 1 WHERE label = 'sendBackup'");
    auto live = app_check({"--json", "-"});
    ASSERT_EQ(live.exit_code, 3) << live.all();
    auto doc = nlohmann::json::parse(live.out);
    ASSERT_EQ(doc["live_channels"].size(), 1u) << live.out;
    EXPECT_EQ(doc["live_channels"][0]["channel"], "scheduled jobs");
    EXPECT_EQ(doc["live_channels"][0]["where"], "llx_cronjob rowid 2");
    EXPECT_NE(live.err.find("llx_cronjob rowid 2"), std::string::npos) << live.err;  // the text report
}

TEST_F(DolibarrProfile, ChannelReEnabledByPostRefreshSqlIsRefusedWithoutCommit) {
    ASSERT_EQ(refresh_with_profile().exit_code, 0);
    auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
    auto sql = work_ / "reenable.sql";
    std::ofstream(sql) << "UPDATE llx_const SET value = '1' WHERE name = 'STRIPE_LIVE' AND entity = 2;\n"
                          "UPDATE llx_webhook_target SET status = 1;\n";
    // The firewall sets STRIPE_LIVE back to 0 and the webhook off, so a
    // post-refresh SQL file alone cannot beat it: show the re-check with a
    // trigger that switches a job on again whenever the firewall turns it off.
    std::ofstream(work_ / "trigger.sql") << R"(
CREATE FUNCTION keep_job_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.status := 1; RETURN NEW; END $$;
CREATE TRIGGER keep_job_on BEFORE UPDATE ON llx_cronjob FOR EACH ROW EXECUTE FUNCTION keep_job_on();
)";
    auto run = refresh_with_profile({"--post-sql", sql.string(), "--post-sql", (work_ / "trigger.sql").string()});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("live outgoing channel"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("scheduled jobs: llx_cronjob rowid 1"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("scheduled jobs: llx_cronjob rowid 2"), std::string::npos) << run.err;
    auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(before == after) << describe_differences(before, after);
    EXPECT_EQ(sandbox("SELECT count(*) FROM pg_trigger WHERE tgname = 'keep_job_on'"), "0\n");
}

// Issue 18, items 10 and 14: Dolibarr enables a module whatever the case of
// its name after MAIN_MODULE_ (conf.class.php), so MAIN_MODULE_Zapier passed
// the firewall and app-check; and a migrated prod whose llx_const sequence
// lags behind its rows made every profile refresh fail on a duplicate key.
// Issue 20: every profile switches off first, then every one checks. A
// declared channel's switch_off runs after the Dolibarr firewall; were each
// profile to check right after its own switches, this one would turn a job
// back on after Dolibarr's check and commit it.
TEST_F(DolibarrProfile, ADeclaredChannelCannotSwitchADolibarrChannelBackOn) {
    auto first = refresh_with_profile();
    ASSERT_EQ(first.exit_code, 0) << first.all();
    auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
    std::ofstream(config_, std::ios::app) << "[[channels]]\nname = \"partner export\"\nlive_when = \"false\"\n"
                                             "switch_off = \"UPDATE llx_cronjob SET status = 1 WHERE rowid = 2\"\n";
    auto run = refresh_with_profile();
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("scheduled jobs: llx_cronjob rowid 2"), std::string::npos) << run.err;
    auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

TEST_F(DolibarrProfile, ModuleSwitchesInAnyCaseAndALaggingSequence) {
    model_->prod_sql("INSERT INTO llx_const (name, entity, value, type, visible) VALUES"
                     " ('MAIN_MODULE_Zapier', 1, '1', 'string', 0), ('MAIN_MODULE_Ai', 1, '1', 'string', 0),"
                     " ('MAIN_MODULE_notification', 0, '1', 'string', 0);"
                     "SELECT setval(pg_get_serial_sequence('llx_const', 'rowid'), 1)");
    auto prod = run_tool({"app-check", "--target", model_->source()});
    EXPECT_EQ(prod.exit_code, 3) << prod.all();
    EXPECT_NE(prod.out.find("llx_const MAIN_MODULE_Zapier (entity 1)"), std::string::npos) << prod.out;
    EXPECT_NE(prod.out.find("llx_const MAIN_MODULE_Ai (entity 1)"), std::string::npos) << prod.out;

    auto run = refresh_with_profile();
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(sandbox("SELECT string_agg(name || '=' || value, ',' ORDER BY name) FROM llx_const "
                      "WHERE upper(name) IN ('MAIN_MODULE_ZAPIER', 'MAIN_MODULE_AI', 'MAIN_MODULE_NOTIFICATION')"),
              "MAIN_MODULE_Ai=0,MAIN_MODULE_NOTIFICATION=0,MAIN_MODULE_Zapier=0,MAIN_MODULE_notification=0\n");
    EXPECT_EQ(app_check().exit_code, 0);
    expect_live_after("UPDATE llx_const SET value = '1' WHERE name = 'MAIN_MODULE_Zapier'",
                      "llx_const MAIN_MODULE_Zapier (entity 1)");
}

// Issue 18, item 3: a deferred constraint trigger fired at COMMIT, after the
// re-check, and switched a job back on: "live outgoing channels: none", exit 0.
TEST_F(DolibarrProfile, DeferredTriggerCannotSwitchAChannelOnAfterTheReCheck) {
    ASSERT_EQ(refresh_with_profile().exit_code, 0);
    auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
    auto sql = work_ / "deferred.sql";
    std::ofstream(sql) << R"(
CREATE FUNCTION job_back_on() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN UPDATE llx_cronjob SET status = 1 WHERE rowid = NEW.rowid AND status <> 1; RETURN NULL; END $$;
CREATE CONSTRAINT TRIGGER job_back_on AFTER UPDATE ON llx_cronjob DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION job_back_on();
)";
    auto run = refresh_with_profile({"--post-sql", sql.string()});
    EXPECT_EQ(run.exit_code, 3) << run.all();
    EXPECT_NE(run.err.find("scheduled jobs: llx_cronjob rowid 1"), std::string::npos) << run.err;
    auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(before == after) << describe_differences(before, after);
    EXPECT_EQ(app_check().exit_code, 0);
}

// Issue 18, item 2: the secrets step ran after the keep write-back and
// emptied a kept llx_const value the sandbox had encrypted with its own key,
// while the report said the row was kept.
TEST_F(DolibarrProfile, KeptConstantIsNeverClearedNorReKeyed) {
    ASSERT_EQ(refresh_with_profile().exit_code, 0);
    // As the sandbox's Dolibarr stores it: encrypted with the sandbox's id.
    auto own = dolibarr::encrypt("sandbox-Agent-Key-6621", dolibarr::InstanceKey("5b1e0c7d2f9a4e68b3c1d0e9f8a7b6c5"),
                                 dolibarr::random_iv());
    sandbox("INSERT INTO llx_const (name, entity, value, type, visible) VALUES ('AGENT_API_KEY', 1, " +
            pg::quote_literal(own) + ", 'chaine', 0)");
    std::ofstream(config_, std::ios::app) << "[[refresh.keep]]\ntable = \"public.llx_const\"\n"
                                          << "where = \"name = 'AGENT_API_KEY'\"\n";
    auto run = refresh_with_profile({"--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'AGENT_API_KEY'"), own + "\n");
    auto report = nlohmann::json::parse(run.out);
    EXPECT_EQ(report["kept"][0]["rows"], 1) << run.out;

    // Kept and re-keyed at once contradict each other: a configuration error.
    auto state = capture_state(cluster(), model_->sandbox(), sandbox_role);
    auto text = std::regex_replace(read_file(config_), std::regex("mail = "), "rekey = [\"AGENT_API_KEY\"]\nmail = ");
    std::ofstream(config_) << text;
    auto refused = refresh_with_profile();
    EXPECT_EQ(refused.exit_code, 2) << refused.all();
    EXPECT_NE(refused.err.find("[dolibarr].rekey names llx_const \"AGENT_API_KEY\", which a [[refresh.keep]] rule "
                               "keeps"),
              std::string::npos)
        << refused.err;
    auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(state == after) << describe_differences(state, after);
}

TEST_F(DolibarrProfile, FullResetKeepsTheFirewall) {
    std::string store = (run_dir() / "snapshots" / test_name()).string();
    ASSERT_EQ(refresh_with_profile({"--snapshot", "golden", "--snapshot-dir", store}).exit_code, 0);
    sandbox("UPDATE llx_cronjob SET status = 1; UPDATE llx_webhook_target SET status = 2");
    auto reset = run_tool({"-c", config_.string(), "reset", "--full", "--target", model_->target(), "--snapshot-dir",
                           store, "--json", "-"},
                          state_env());
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    auto doc = nlohmann::json::parse(reset.out);
    EXPECT_EQ(doc["mode"], "full");
    ASSERT_TRUE(doc["dolibarr"].is_object()) << reset.out;
    EXPECT_EQ(doc["dolibarr"]["mode"], "reset");
    EXPECT_TRUE(doc["dolibarr"]["secrets"].is_null());  // the snapshot's rows are the sandbox's own
    EXPECT_EQ(doc["dolibarr"]["firewall"]["rows_changed"], 0) << reset.out;  // the snapshot was safe already
    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_cronjob WHERE status <> 0"), "0\n");
    // Marked once, not twice.
    EXPECT_EQ(sandbox("SELECT value FROM llx_const WHERE name = 'MAIN_APPLICATION_TITLE' AND entity = 1"),
              "SANDBOX - Acme ERP\n");
    EXPECT_EQ(app_check().exit_code, 0);
}

// Issue 18, a smaller point: prod_conf and sandbox_conf with the same
// instance id passed silently, and prod's secrets then decrypt in the sandbox.
TEST_F(DolibarrProfile, TheSameInstanceIdOnBothSidesIsRefused) {
    std::ofstream(work_ / "prod_conf.php")
        << "<?php\n$dolibarr_main_instance_unique_id='5b1e0c7d2f9a4e68b3c1d0e9f8a7b6c5';\n";
    auto before = capture_state(cluster(), model_->sandbox(), sandbox_role);
    auto doctor =
        run_tool({"-c", config_.string(), "doctor", "--source", model_->source(), "--target", model_->target()});
    EXPECT_EQ(doctor.exit_code, 3) << doctor.all();
    EXPECT_NE(doctor.out.find("FAIL Dolibarr instance ids are readable and differ: refusing to refresh: [dolibarr] "
                              "prod_conf and sandbox_conf hold the same instance id"),
              std::string::npos)
        << doctor.out;
    auto refused = refresh_with_profile();
    EXPECT_EQ(refused.exit_code, 3) << refused.all();
    EXPECT_EQ(refused.all().find("5b1e0c7d2f9a4e68b3c1d0e9f8a7b6c5"), std::string::npos);
    auto after = capture_state(cluster(), model_->sandbox(), sandbox_role);
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

// [dolibarr] masking = "personal" on Dolibarr 22's own schema: every text
// column of the tables it covers is named (strict passes), prod's names,
// e-mails and logins are not in the sandbox, the kept user is, and verify
// and mask-check pass on the masked sandbox.
TEST_F(DolibarrProfile, PersonalMaskingCoversTheCoreTablesButNotTheKeptUsers) {
    model_->prod_sql(R"(
UPDATE llx_societe SET email = 'real.person@customer.example', phone = '+33 4 72 00 11 22'
 WHERE rowid = (SELECT min(rowid) FROM llx_societe);
UPDATE llx_user SET email = 'jdoe@staff.example', lastname = 'Doe' WHERE login = 'jdoe';
UPDATE llx_user SET email = 'admin@staff.example' WHERE login = 'admin';
INSERT INTO llx_socpeople (fk_soc, entity, lastname, firstname, email, phone_mobile, datec, fk_user_creat)
  VALUES ((SELECT min(rowid) FROM llx_societe), 1, 'Quackenbush', 'Zebulon', 'zebulon@customer.example', '06 12 34 56 78', now(), 1);
)");
    std::ofstream(config_, std::ios::app) << "masking = \"personal\"\nkeep_users = [\"admin\"]\n\n[masking]\n"
                                          << "key_file = \"masking.key\"\nstrict = true\n";
    auto refreshed = refresh_with_profile();
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    EXPECT_NE(refreshed.out.find("public.llx_societe: nom (company)"), std::string::npos) << refreshed.out;
    EXPECT_NE(refreshed.out.find("not masked: login where it is one of 1 value(s) (kept users)"), std::string::npos)
        << refreshed.out;
    EXPECT_EQ(refreshed.out.find("uncovered:"), std::string::npos) << refreshed.out;
    // No prod value of a masked column, in any row.
    auto prod_values = model_->prod_sql(R"(
SELECT v FROM (SELECT nom AS v FROM llx_societe UNION SELECT email FROM llx_societe UNION SELECT phone FROM llx_societe
  UNION SELECT lastname FROM llx_socpeople UNION SELECT email FROM llx_socpeople
  UNION SELECT login FROM llx_user WHERE login <> 'admin' UNION SELECT email FROM llx_user) s
WHERE v <> '' ORDER BY 1)");
    ASSERT_NE(prod_values.find("jdoe@staff.example"), std::string::npos) << prod_values;
    std::istringstream lines(prod_values);
    for (std::string value; std::getline(lines, value);) {
        auto quoted = "'" + std::regex_replace(value, std::regex("'"), "''") + "'";
        EXPECT_EQ(sandbox("SELECT count(*) FROM llx_societe WHERE " + quoted +
                          " IN (nom, email, phone) UNION ALL SELECT count(*) FROM llx_socpeople WHERE " + quoted +
                          " IN (lastname, email) UNION ALL SELECT count(*) FROM llx_user WHERE " + quoted +
                          " IN (login, email)"),
                  "0\n0\n0\n")
            << value;
    }
    // A kept login the sandbox did not have yet: prod's row keeps the login
    // only, everything else of it is masked.
    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_user WHERE login = 'admin' AND email LIKE '%@example.invalid'"), "1\n");
    EXPECT_EQ(sandbox("SELECT count(*) FROM llx_user WHERE login <> 'admin' AND email LIKE '%@example.invalid'"),
              "1\n");
    // Once the sandbox has it, the kept user is the sandbox's own row, as it was.
    sandbox("UPDATE llx_user SET email = 'admin@sandbox.test', lastname = 'Sandbox Admin' WHERE login = 'admin'");
    auto again = refresh_with_profile();
    ASSERT_EQ(again.exit_code, 0) << again.all();
    EXPECT_EQ(sandbox("SELECT login, email, lastname FROM llx_user WHERE login = 'admin'"),
              "admin|admin@sandbox.test|Sandbox Admin\n");
    auto verified =
        run_tool({"-c", config_.string(), "verify", "--source", model_->source(), "--target", model_->target()});
    // The profile's own changes (channels off, API keys cleared) are
    // differences; the masked tables it leaves alone verify.
    EXPECT_EQ(verified.exit_code, 4) << verified.all();
    for (auto table : {"llx_societe:", "llx_socpeople:", "llx_adherent:", "llx_societe_rib:", "llx_actioncomm:"})
        EXPECT_EQ(verified.out.find(table), std::string::npos) << table << "\n" << verified.out;
    auto checked =
        run_tool({"-c", config_.string(), "mask-check", "--source", model_->source(), "--target", model_->target()});
    EXPECT_EQ(checked.exit_code, 0) << checked.all();
    // A column a later Dolibarr adds is named, and refused under strict.
    model_->prod_sql("ALTER TABLE llx_socpeople ADD COLUMN whatsapp varchar(64)");
    auto strict = refresh_with_profile();
    EXPECT_EQ(strict.exit_code, 3) << strict.all();
    EXPECT_NE(strict.err.find("public.llx_socpeople.whatsapp"), std::string::npos) << strict.err;
}

TEST_F(DolibarrProfile, MailDisabledWhenConfigured) {
    config_ = write_config("disable");
    auto run = refresh_with_profile();
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(sandbox("SELECT string_agg(entity || '=' || value, ',' ORDER BY entity) FROM llx_const "
                      "WHERE name = 'MAIN_DISABLE_ALL_MAILS'"),
              "0=1,2=1\n");
    EXPECT_EQ(app_check().exit_code, 0);
    // A sink that is not the configured one does not pass for "disable".
    expect_live_after("UPDATE llx_const SET value = '0' WHERE name = 'MAIN_DISABLE_ALL_MAILS' AND entity = 2",
                      "llx_const MAIN_DISABLE_ALL_MAILS (entity 2)");
}

}  // namespace
}  // namespace sandboxctl::test
