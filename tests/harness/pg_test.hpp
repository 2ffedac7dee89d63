#pragma once
// Base fixture for tests that need the real PostgreSQL cluster. When the
// cluster cannot start, the test is skipped with the reason printed, except
// under CI (CI=true), where that is a failure: CI installs PostgreSQL.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "harness/cluster.hpp"
#include "harness/model.hpp"
#include "harness/tool.hpp"

namespace sandboxctl::test {

class PgTest : public ::testing::Test {
protected:
    void SetUp() override;
    Cluster& cluster() { return Cluster::shared(); }
    // A database-name-safe name unique to the running test.
    std::string test_name() const;

    // A fresh model whose prod holds the adversarial fixture.
    std::unique_ptr<Model> adversarial_model();

    // sandboxctl refresh from the model's prod into its sandbox.
    ToolRun refresh(const Model& model, std::vector<std::string> extra = {});
    ToolRun verify(const Model& model, std::vector<std::string> extra = {});
};

// Connection limit of a database, read as superuser.
int connection_limit(Cluster& cluster, const std::string& database);

// Whether the session named `application` sleeps in pg_sleep (holding what
// it took before), read as superuser.
bool session_sleeps(Cluster& cluster, const std::string& application);

}  // namespace sandboxctl::test
