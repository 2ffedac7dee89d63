// Issue 22, item 1: `provision` prints (or, with --apply, runs) the SQL that
// makes the read-only dump login, the sandbox owner and its login, the
// sandbox and its pool members. Applied by a superuser on a real cluster, the
// result passes doctor and takes a refresh, a second application changes
// nothing, and a per-sandbox login reaches its own member only.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"
#include "core/temp_dir.hpp"
#include "harness/pg_test.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::test {
namespace {

constexpr const char* provisioned_password = "provisioned-Secret-4e7b";

class Provision : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        model_ = adversarial_model();
        prefix_ = "pv" + std::to_string(std::hash<std::string>{}(test_name()) % 100000);
        drop_leftovers();
    }

    std::string dump() const { return prefix_ + "_dump"; }
    std::string owner() const { return prefix_ + "_owner"; }
    std::string login() const { return prefix_ + "_login"; }
    std::string box() const { return prefix_ + "_box"; }
    std::string member(int k) const { return box() + "-" + std::to_string(k); }
    std::string member_login(int k) const { return login() + "_" + std::to_string(k); }

    void drop_leftovers() {
        for (const auto& db : {box(), member(1), member(2)})
            cluster().psql("postgres", "DROP DATABASE IF EXISTS \"" + db + "\" WITH (FORCE)");
        for (const auto& role :
             {member_login(1), member_login(2), owner() + "_1", owner() + "_2", login(), owner(), dump()}) {
            cluster().psql("postgres", "DROP ROLE IF EXISTS \"" + role + "\"");
        }
    }

    std::vector<std::string> provision_args() const {
        std::string server = "host=127.0.0.1 port=" + std::to_string(cluster_port());
        return {"provision",
                "--source",
                server + " dbname=" + model_->prod() + " user=" + dump(),
                "--target",
                server + " dbname=" + box() + " user=" + login(),
                "--target-role",
                owner(),
                "--sandboxes",
                "2",
                "--login-per-sandbox"};
    }
    int cluster_port() const { return const_cast<Provision*>(this)->cluster().port(); }

    ToolRun apply() {
        auto args = provision_args();
        args.insert(args.end(), {"--apply", "--admin", cluster().admin_conninfo("postgres")});
        return run_tool(args);
    }

    void set_passwords() {
        for (const auto& role : {dump(), login(), member_login(1), member_login(2)})
            cluster().psql("postgres", "ALTER ROLE \"" + role + "\" PASSWORD '" + provisioned_password + "'");
    }
    std::string as(const std::string& user, const std::string& database) {
        return cluster().login_conninfo(user, provisioned_password, database);
    }

    // What provisioning made or changed, as the catalogs hold it: the roles
    // and their attributes, memberships and settings, the databases with
    // their owners and privileges, and prod's privileges and default ones.
    std::string provisioned_state() {
        std::string like = "'" + prefix_ + "%'";
        std::string cluster_wide = cluster().psql("postgres", R"(
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT format('role %s login=%s super=%s createdb=%s createrole=%s', rolname, rolcanlogin, rolsuper, rolcreatedb,
                rolcreaterole) FROM pg_roles WHERE rolname LIKE )" +
                                                                  like + R"(
  UNION ALL SELECT format('member %s of %s', pg_get_userbyid(member), pg_get_userbyid(roleid))
    FROM pg_auth_members WHERE pg_get_userbyid(member) LIKE )" + like +
                                                                  R"(
  UNION ALL SELECT format('setting %s %s', pg_get_userbyid(setrole), setconfig) FROM pg_db_role_setting
   WHERE pg_get_userbyid(setrole) LIKE )" + like + R"(
  UNION ALL SELECT format('database %s owner %s acl %s', datname, pg_get_userbyid(datdba), datacl)
    FROM pg_database WHERE datname LIKE )" + like + " OR datname = '" +
                                                                  model_->prod() + R"('
) AS t(x))");
        std::string in_prod = cluster().psql(model_->prod(), R"(
SELECT string_agg(x, E'\n' ORDER BY x) FROM (
  SELECT format('relation %s acl %s', oid::regclass, relacl) FROM pg_class WHERE relnamespace = 'public'::regnamespace
  UNION ALL SELECT format('schema %s acl %s', nspname, nspacl) FROM pg_namespace
  UNION ALL SELECT format('default %s %s %s', pg_get_userbyid(defaclrole), defaclobjtype, defaclacl) FROM pg_default_acl
) AS t(x))");
        return cluster_wide + "\n" + in_prod;
    }

    std::unique_ptr<Model> model_;
    std::string prefix_;
};

TEST_F(Provision, AppliedSetupPassesDoctorTakesARefreshAndAppliedAgainChangesNothing) {
    auto first = apply();
    ASSERT_EQ(first.exit_code, 0) << first.all();
    for (const auto& object : {"role \"" + dump() + "\": created", "role \"" + owner() + "\": created",
                               "database \"" + member(2) + "\": created", "role \"" + member_login(1) + "\": created"})
        EXPECT_NE(first.out.find(object), std::string::npos) << object << "\n" << first.all();
    auto state = provisioned_state();

    auto second = apply();
    ASSERT_EQ(second.exit_code, 0) << second.all();
    EXPECT_EQ(second.out.find(": created"), std::string::npos) << second.all();
    EXPECT_NE(second.out.find("database \"" + box() + "\": exists, left alone"), std::string::npos) << second.all();
    EXPECT_EQ(provisioned_state(), state);

    set_passwords();
    auto source = as(dump(), model_->prod());
    for (const auto& [user, database] :
         {std::pair{login(), box()}, std::pair{member_login(1), member(1)}, std::pair{member_login(2), member(2)}}) {
        auto doctor = run_tool({"doctor", "--source", source, "--target", as(user, database)});
        EXPECT_EQ(doctor.exit_code, 0) << database << "\n" << doctor.all();
    }
    auto refreshed = run_tool({"refresh", "--source", source, "--target", as(login(), box())});
    ASSERT_EQ(refreshed.exit_code, 0) << refreshed.all();
    EXPECT_EQ(cluster().psql(box(), "SELECT count(*) FROM pg_class WHERE relname = 'provisioner_secrets'"), "0\n");
    EXPECT_NE(cluster().psql(box(), "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), "0\n");
}

TEST_F(Provision, TheDumpLoginReadsTheApplicationsTablesOnlyAndNeverWrites) {
    ASSERT_EQ(apply().exit_code, 0);
    set_passwords();
    auto dump_session = pg::Connection::open(pg::ConnInfo::parse(as(dump(), model_->prod()), "test"), "test");
    EXPECT_EQ(dump_session.query_value("SHOW default_transaction_read_only"), "on");
    EXPECT_THROW(dump_session.exec("SELECT * FROM public.provisioner_secrets"), Error);
    // A table the application role creates after provisioning is readable.
    cluster().psql(model_->prod(), "SET ROLE sbx_app; CREATE TABLE public.made_later (id int); "
                                   "INSERT INTO public.made_later VALUES (1)");
    EXPECT_EQ(dump_session.query_value("SELECT count(*) FROM public.made_later"), "1");
    EXPECT_THROW(dump_session.exec("INSERT INTO public.made_later VALUES (2)"), Error);
}

TEST_F(Provision, APerSandboxLoginReachesItsOwnSandboxOnly) {
    ASSERT_EQ(apply().exit_code, 0);
    set_passwords();
    auto connects = [&](const std::string& user, const std::string& database) {
        try {
            pg::Connection::open(pg::ConnInfo::parse(as(user, database), "test"), "test");
            return true;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("permission denied for database"), std::string::npos) << e.what();
            return false;
        }
    };
    EXPECT_TRUE(connects(member_login(1), member(1)));
    EXPECT_TRUE(connects(member_login(2), member(2)));
    EXPECT_FALSE(connects(member_login(1), member(2)));
    EXPECT_FALSE(connects(member_login(2), member(1)));
    EXPECT_FALSE(connects(member_login(1), box()));
    EXPECT_FALSE(connects(login(), member(1)));
    EXPECT_FALSE(connects(dump(), box()));
}

TEST_F(Provision, ThePrintedScriptRunByPsqlMakesWhatApplyMakes) {
    auto printed = run_tool(provision_args());
    ASSERT_EQ(printed.exit_code, 0) << printed.all();
    EXPECT_EQ(printed.out.find("PASSWORD '"), std::string::npos);
    TempDir dir;
    auto file = dir.path() / "provision.sql";
    std::ofstream(file) << printed.out;
    cluster().psql_file("postgres", file);
    auto state = provisioned_state();
    cluster().psql_file("postgres", file);
    EXPECT_EQ(provisioned_state(), state);
    auto applied = apply();
    ASSERT_EQ(applied.exit_code, 0) << applied.all();
    EXPECT_EQ(applied.out.find(": created"), std::string::npos) << applied.all();
    EXPECT_EQ(provisioned_state(), state);
}

TEST_F(Provision, RefusesAnAdministratorThatIsNotOne) {
    ASSERT_EQ(apply().exit_code, 0);
    set_passwords();
    auto args = provision_args();
    args.insert(args.end(), {"--apply", "--admin", as(dump(), model_->prod())});
    auto refused = run_tool(args);
    EXPECT_EQ(refused.exit_code, 3) << refused.all();
    EXPECT_NE(refused.err.find("cannot provision"), std::string::npos) << refused.all();
    EXPECT_EQ(refused.all().find(provisioned_password), std::string::npos);
}

TEST_F(Provision, RefusesIncompleteOrConfusedNames) {
    auto args = provision_args();
    auto without = [&](const std::string& option) {
        auto copy = args;
        auto at = std::find(copy.begin(), copy.end(), option);
        copy.erase(at, at + 2);
        return copy;
    };
    auto no_role = run_tool(without("--target-role"));
    EXPECT_EQ(no_role.exit_code, 2) << no_role.all();
    EXPECT_NE(no_role.err.find("--target-role"), std::string::npos) << no_role.all();
    auto owner_login = args;
    owner_login[6] = login();
    EXPECT_EQ(run_tool(owner_login).exit_code, 2);
    auto apply_alone = args;
    apply_alone.push_back("--apply");
    EXPECT_EQ(run_tool(apply_alone).exit_code, 2);
    auto admin_alone = args;
    admin_alone.insert(admin_alone.end(), {"--admin", cluster().admin_conninfo("postgres")});
    EXPECT_EQ(run_tool(admin_alone).exit_code, 2);
    auto login_alone = without("--sandboxes");
    EXPECT_EQ(run_tool(login_alone).exit_code, 2);
    auto control = args;
    control[6] = "owner\nDROP";
    EXPECT_EQ(run_tool(control).exit_code, 2);
    // Decimal: "010" is ten members, never octal eight; "0x2" is refused.
    auto leading_zero = without("--sandboxes");
    leading_zero.insert(leading_zero.end(), {"--sandboxes", "010"});
    auto ten = run_tool(leading_zero);
    EXPECT_EQ(ten.exit_code, 0) << ten.all();
    EXPECT_NE(ten.out.find(box() + "-10"), std::string::npos) << ten.all();
    auto hex = without("--sandboxes");
    hex.insert(hex.end(), {"--sandboxes", "0x2"});
    auto refused = run_tool(hex);
    EXPECT_EQ(refused.exit_code, 2) << refused.all();
    EXPECT_NE(refused.err.find("\"0x2\" is not a decimal number"), std::string::npos) << refused.all();
}

}  // namespace
}  // namespace sandboxctl::test

namespace sandboxctl::test {
namespace {

// From the hostile review of issue 22: names that would hand a sandbox login
// a superuser's or prod owner's rights, a swapped --source/--target that
// would change prod, and names PostgreSQL would cut or that collide.
TEST_F(Provision, RefusesASuperuserOrProdsOwnerAsTheSandboxOwner) {
    for (const std::string& role : {std::string("postgres"), std::string(app_role)}) {
        auto args = provision_args();
        args[6] = role;
        args.insert(args.end(), {"--apply", "--admin", cluster().admin_conninfo("postgres")});
        auto run = run_tool(args);
        EXPECT_EQ(run.exit_code, 1) << run.all();
        EXPECT_NE(run.err.find("refusing to provision: role \"" + role + "\""), std::string::npos) << run.all();
        EXPECT_EQ(cluster().psql("postgres", "SELECT count(*) FROM pg_roles WHERE rolname = '" + login() + "'"), "0\n");
    }
}

TEST_F(Provision, RefusesSwappedSourceAndTargetWithoutChangingProd) {
    ASSERT_EQ(apply().exit_code, 0);
    auto acl = [&] {
        return cluster().psql("postgres",
                              "SELECT datacl::text FROM pg_database WHERE datname = '" + model_->prod() + "'");
    };
    auto before = acl();
    std::string server = "host=127.0.0.1 port=" + std::to_string(cluster_port());
    auto swapped = run_tool({"provision", "--source", server + " dbname=" + box() + " user=" + dump(), "--target",
                             server + " dbname=" + model_->prod() + " user=" + login(), "--target-role", owner(),
                             "--apply", "--admin", cluster().admin_conninfo("postgres")});
    EXPECT_EQ(swapped.exit_code, 1) << swapped.all();
    EXPECT_NE(swapped.err.find("refusing to provision"), std::string::npos) << swapped.all();
    EXPECT_EQ(acl(), before);
}

TEST_F(Provision, RefusesNamesPostgresWouldCutOrThatCollide) {
    std::string server = "host=127.0.0.1 port=" + std::to_string(cluster_port());
    auto run = [&](const std::string& database, const std::string& user, const std::string& role) {
        return run_tool({"provision", "--source", server + " dbname=" + model_->prod() + " user=" + dump(), "--target",
                         server + " dbname=" + database + " user=" + user, "--target-role", role, "--sandboxes", "2",
                         "--login-per-sandbox"});
    };
    EXPECT_EQ(run(box(), login(), std::string(62, 'q')).exit_code, 2);  // "qq..q_1" is 64 bytes
    EXPECT_EQ(run(box(), owner() + "_1", owner()).exit_code, 2);        // member 1's owner is the login
    EXPECT_EQ(run(box(), login(), login() + "_x").exit_code, 0);
    EXPECT_EQ(run(model_->prod().substr(0, model_->prod().size()), login(), owner()).exit_code, 2);
    auto other_server = run_tool({"provision", "--source", server + " dbname=" + model_->prod() + " user=" + dump(),
                                  "--target", "host=127.0.0.2 port=5999 dbname=x user=" + login(), "--target-role",
                                  owner(), "--apply", "--admin", cluster().admin_conninfo("postgres")});
    EXPECT_EQ(other_server.exit_code, 2) << other_server.all();
}

}  // namespace
}  // namespace sandboxctl::test
