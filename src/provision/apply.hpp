#pragma once
// `provision --apply`: the steps run by sandboxctl on an administrator's
// connection, as the psql script would run them, each object's question
// asked first.
#include <functional>
#include <string>
#include <vector>

#include "pg/conninfo.hpp"
#include "provision/provision_plan.hpp"

namespace sandboxctl::provision {

struct Applied {
    std::string object;
    bool created = false;  // false: it existed, left alone
};

// Refuses (exit 3) an administrator that cannot create roles and databases,
// and a server that does not hold prod's database; `done` hears of each
// object as it is created or left alone. Each statement commits on its own
// (CREATE DATABASE cannot run in a transaction): a failure stops the run,
// and running it again goes on from there.
void apply_steps(const std::vector<Step>& steps, const pg::ConnInfo& admin, const std::string& prod_database,
                 const std::function<void(const Applied&)>& done);

}  // namespace sandboxctl::provision
