// The demo lifecycle: a throwaway PostgreSQL cluster with the reference
// privilege model, an ERP-like prod, and sandboxctl doctor, plan, refresh and
// verify run against it, as an operator would run them.
#include <fmt/format.h>

#include <cstdio>
#include <iostream>

#include "core/temp_dir.hpp"
#include "harness/cluster.hpp"
#include "harness/model.hpp"
#include "harness/tool.hpp"

using namespace sandboxctl::test;

namespace {

// The connection strings travel in the environment, as docs/manual.md advises:
// a password on the command line would be readable in the process list. The
// state (and the snapshots) go to a private directory removed at the end.
std::vector<std::pair<std::string, std::string>> demo_env;

int step(const std::string& title, std::vector<std::string> args) {
    fmt::print("\n\033[1m== {}\033[0m\n$ sandboxctl", title);
    for (const auto& a : args) fmt::print(" {}", a);
    fmt::print("\n");
    std::fflush(stdout);
    auto run = run_tool(args, demo_env);
    std::cout << run.out << run.err;
    fmt::print("(exit code {})\n", run.exit_code);
    return run.exit_code;
}

}  // namespace

int main() {
    try {
        sandboxctl::TempDir state("sandboxctl-demo");
        demo_env.emplace_back("XDG_STATE_HOME", state.path().string());
        fmt::print("starting a throwaway PostgreSQL cluster...\n");
        Cluster cluster;
        fmt::print("cluster on 127.0.0.1:{} (socket {})\n", cluster.port(), cluster.socket_dir().string());
        Model model(cluster, "erp");
        cluster.psql_file(model.prod(), std::filesystem::path(SANDBOXCTL_DEMO_DIR) / "erp.sql");
        fmt::print("prod \"{}\" owned by sbx_app (+ a provisioner-owned user_lookup and secrets table);\n"
                   "sandbox \"{}\" owned by sbx_sandbox_owner, used through login sbx_sandbox_login.\n",
                   model.prod(), model.sandbox());

        demo_env.emplace_back("SANDBOXCTL_SOURCE", model.source());
        demo_env.emplace_back("SANDBOXCTL_TARGET", model.target());
        fmt::print("$ export SANDBOXCTL_SOURCE='<prod conninfo; password hidden>' "
                   "SANDBOXCTL_TARGET='<sandbox conninfo; password hidden>'\n");
        std::string snapshots = (state / "snapshots").string();
        auto with = [&](std::vector<std::string> head, std::vector<std::string> tail = {}) {
            head.insert(head.end(), tail.begin(), tail.end());
            return head;
        };
        int failures = 0;
        failures += step("safety preflight", with({"doctor"})) != 0;
        failures += step("what a refresh would copy", {"plan"}) != 0;
        failures +=
            step("refresh the sandbox from prod",
                 with({"refresh"}, {"--post-sql", std::string(SANDBOXCTL_DEMO_DIR) + "/regenerate-api-keys.sql"})) != 0;
        // The post-refresh SQL changed llx_user on purpose (new API keys), so it is left out of the comparison.
        failures += step("verify: the sandbox equals prod (llx_user was changed on purpose)",
                         with({"verify"}, {"--exclude-data", "llx_user"})) != 0;

        fmt::print("\n== the AI agent and BDD tests change the sandbox...\n");
        model.sandbox_sql(
            "SET ROLE sbx_sandbox_owner; UPDATE llx_societe SET nom = 'Changed by a test' WHERE rowid = 7;"
            " DELETE FROM llx_paiement WHERE rowid > 14990;");
        failures += step("verify finds the differences (exit 4 expected)", with({"verify"})) != 4;
        failures += step("refresh again", with({"refresh"})) != 0;
        failures += step("verify: equal again", with({"verify"})) != 0;

        std::vector<std::string> sandbox = {"--snapshot-dir", snapshots};
        auto on_sandbox = [&](std::vector<std::string> head) {
            head.insert(head.end(), sandbox.begin(), sandbox.end());
            return head;
        };
        failures += step("capture the golden snapshot", on_sandbox({"snapshot", "create", "golden"})) != 0;
        fmt::print("\n== a BDD scenario writes: a customer, an invoice with 5 lines, a payment...\n");
        model.sandbox_sql(
            "SET ROLE sbx_sandbox_login; INSERT INTO llx_societe (nom, client) VALUES ('BDD customer', 1);"
            " INSERT INTO llx_facture (ref, fk_soc, total_ttc) VALUES ('FA-BDD', currval('llx_societe_rowid_seq'), "
            "100);"
            " INSERT INTO llx_facturedet (fk_facture, description, qty, subprice) SELECT"
            " currval('llx_facture_rowid_seq'), 'line', 1, 20 FROM generate_series(1, 5);"
            " INSERT INTO llx_paiement (fk_facture, amount, datep) VALUES (currval('llx_facture_rowid_seq'), 100, "
            "now());");
        failures += step("status: what the scenario wrote", on_sandbox({"status"})) != 0;
        failures += step("reset to the golden snapshot (delta)", on_sandbox({"reset"})) != 0;
        failures += step("verify: equal to prod again", with({"verify"})) != 0;
        fmt::print("\n{}\n", failures == 0 ? "demo finished: every step behaved as expected"
                                           : fmt::format("demo finished with {} unexpected result(s)", failures));
        return failures == 0 ? 0 : 1;
    } catch (const std::exception& e) {
        std::cerr << "demo failed: " << e.what() << '\n';
        return 1;
    }
}
