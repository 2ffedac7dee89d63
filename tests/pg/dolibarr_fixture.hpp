#pragma once
// The shared Dolibarr 22 database (../shared/fixtures) as the prod of a
// PostgreSQL test: the base fixture skips, saying so, when it is absent, and
// loads it with its tables owned by the suite's app role.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/temp_dir.hpp"
#include "harness/pg_test.hpp"
#include "harness/prerequisite.hpp"

namespace sandboxctl::test {

inline std::filesystem::path dolibarr_fixture() { return shared_dir() / "fixtures/dolibarr/dolibarr-22-pg16.sql"; }

class DolibarrFixture : public PgTest {
protected:
    void SetUp() override {
        PgTest::SetUp();
        if (IsSkipped() || HasFailure()) return;
        if (!std::filesystem::exists(dolibarr_fixture())) {
            MISSING_PREREQUISITE() << "Dolibarr fixture not found at " << dolibarr_fixture()
                                   << " (it lives in ../shared)";
        }
    }

    // The dump was taken with owner "dolibarr"; here prod belongs to sbx_app.
    // Loaded once per cluster and process, then copied (Model::load_prod_cloned).
    static void load_dolibarr_fixture(Model& model) {
        model.load_prod_cloned("dolibarr", [](Cluster& cluster, const std::string& database) {
            TempDir work;
            {
                std::ifstream in(dolibarr_fixture());
                std::stringstream text;
                text << in.rdbuf();
                std::ofstream(work / "prod.sql")
                    << std::regex_replace(text.str(), std::regex("OWNER TO dolibarr;"), "OWNER TO sbx_app;");
            }
            cluster.psql_file(database, work / "prod.sql");
        });
    }
};

}  // namespace sandboxctl::test
