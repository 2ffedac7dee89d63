#pragma once
// [[refresh.keep]]: rows of the sandbox that outlive a refresh or a full
// reset. They are read before the clean and written back over the loaded rows
// after the post-data schema and the materialized views (before the
// post-refresh SQL, which may rely on them), all inside the rebuild's
// transaction: a rule that fails rolls the whole rebuild back.
//
// A rule's where is one SQL boolean expression, sent with the extended
// protocol (no second statement) inside parentheses it cannot close, under a
// statement timeout. A rule needs a key (the table's primary or unique key,
// or the rule's own `key`), so that a kept row replaces prod's version of it
// instead of adding a copy. Nothing to keep (a first refresh, a table the
// sandbox or prod lacks, a where the sandbox's table no longer satisfies) is
// a warning: a refresh or full reset, the ways back to a sound sandbox, never
// depends on the sandbox's own state.
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "pg/connection.hpp"
#include "safety/preflight.hpp"

namespace sandboxctl::rebuild {

// What one rule kept, for the reports.
struct KeptTable {
    std::string table;             // schema.name, as resolved in the sandbox (or as written when absent)
    std::string where;             // the rule's condition
    std::vector<std::string> key;  // the columns a kept row replaces a loaded row on
    long long rows = 0;            // sandbox rows written back
    long long replaced = 0;        // loaded rows deleted because a kept row shares a key with them
    std::string skipped;           // why the rule kept nothing, when it could not (a warning); else empty
};

// For the --json reports of refresh and reset: [{table, where, key, rows, replaced, skipped}].
nlohmann::json kept_json(const std::vector<KeptTable>& kept);

// What can be checked before any connection: each rule's where is one
// expression (schema::expression_problem). Throws a usage error naming the rule.
void check_keep_rules(const std::vector<config::KeepRule>& rules);

// The bound on each rule's where: the configured statement timeout, or one
// minute when none is (a where is meant to pick a few rows).
std::chrono::milliseconds keep_timeout(std::chrono::milliseconds statement_timeout);

// Before anything changes (refresh): each rule against prod's table, read in
// the read-only source session: the table has a key (or the rule names one)
// and the where is planned on it without error; a rule that does not fit is
// a usage error (exit 2). A table prod lacks is a warning.
void require_keep_rules_fit_source(pg::Connection& source, const std::vector<config::KeepRule>& rules);

// For doctor and plan: one check per rule, read without changing anything
// (the where runs in a read-only transaction of `target`): the table on both
// sides, the key, and how many rows the where matches now. `source` is the
// read-only source session, or null (plan without --target has no sandbox).
std::vector<safety::Check> inspect_keep_rules(pg::Connection* source, pg::Connection& target,
                                              const std::vector<config::KeepRule>& rules,
                                              std::chrono::milliseconds timeout);

class KeptRows {
public:
    // Before the clean: for every rule, the sandbox rows its `where` matches
    // and no earlier rule on the same table kept (so overlapping rules keep
    // a row once). They are held in memory, not in a temporary table: the
    // clean drops everything the session's roles own (DROP OWNED), temporary
    // tables too. Kept rows are few by design (settings, a user's own rows).
    // Throws a usage error for a rule without a key; a table the sandbox
    // lacks or a where that fails on it is a warning, the rule keeping nothing.
    static KeptRows capture(pg::Connection& target, const std::vector<config::KeepRule>& rules,
                            std::chrono::milliseconds timeout);

    // After the load: every rule's rows written back into the rebuilt table.
    // A kept row replaces each loaded row that shares its key or one of the
    // table's unique keys (constraints or indexes on plain columns, not
    // partial); rows equal on the rule's own key are written once; identity
    // values are written as kept, and the sequences the table's columns own
    // are advanced past the kept values. A table or key column prod no
    // longer has is a warning (the rows cannot go back); another column prod
    // no longer has is left out of the write.
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
        std::vector<std::string> key;
        std::string rows;  // COPY text format, one line a row
        long long count = 0;
        std::string skipped;  // why nothing was captured, if so
    };
    static Captured capture_rule(pg::Connection& target, const config::KeepRule& rule,
                                 const std::vector<Captured>& earlier, std::chrono::milliseconds timeout);
    static KeptTable write_back_rule(pg::Connection& target, const Captured& captured);

    std::vector<Captured> tables_;
};

}  // namespace sandboxctl::rebuild
