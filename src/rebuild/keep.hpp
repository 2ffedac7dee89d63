#pragma once
// [[refresh.keep]]: rows of the sandbox that outlive a refresh or a full
// reset. They are read before the clean and written back over the loaded rows
// after the post-data schema and the materialized views (before the
// post-refresh SQL, which may rely on them), all inside the rebuild's
// transaction: a rule that fails rolls the whole rebuild back.
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::rebuild {

// What one rule kept, for the reports.
struct KeptTable {
    std::string table;       // schema.name, as resolved in the sandbox
    std::string where;       // the rule's condition
    long long rows = 0;      // sandbox rows written back
    long long replaced = 0;  // loaded rows deleted because a kept row shares a key with them
};

// For the --json reports of refresh and reset: [{table, where, rows, replaced}].
nlohmann::json kept_json(const std::vector<KeptTable>& kept);

class KeptRows {
public:
    // Before the clean: for every rule, the sandbox rows its `where` matches.
    // They are held in memory, not in a temporary table: the clean drops
    // everything the session's roles own (DROP OWNED), temporary tables too.
    // Kept rows are few by design (settings, a user's own rows), so memory is
    // not a concern. A table the sandbox lacks or a `where` that fails is an
    // error naming the rule.
    static KeptRows capture(pg::Connection& target, const std::vector<config::KeepRule>& rules);

    // After the load: every rule's rows written back into the rebuilt table.
    // A kept row replaces each loaded row that shares its primary key or one
    // of its unique keys (constraints or indexes on plain columns, not
    // partial); identity values are written as kept, and the sequences the
    // table's columns own are advanced past the kept values.
    std::vector<KeptTable> write_back(pg::Connection& target) const;

    // The values of `column` in the kept rows of every rule on a table named
    // `table` (in any schema); NULLs are left out. For an application profile
    // that must know which of its rows are the sandbox's own.
    std::vector<std::string> values_of(std::string_view table, std::string_view column) const;

private:
    struct Captured {
        config::KeepRule rule;
        std::string schema;
        std::string name;
        std::vector<std::string> columns;  // stored, non-generated, in table order
        std::string rows;                  // COPY text format, one line a row
        long long count = 0;
    };
    static Captured capture_rule(pg::Connection& target, const config::KeepRule& rule);
    static KeptTable write_back_rule(pg::Connection& target, const Captured& captured);

    std::vector<Captured> tables_;
};

}  // namespace sandboxctl::rebuild
