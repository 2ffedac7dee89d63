#pragma once
// Where a setting comes from, the first layer that gives it winning:
//   1. the command line (Overrides);
//   2. the environment (environment_variables() below; read here and nowhere
//      else, so every command sees the same precedence);
//   3. the TOML config file (-c FILE, else $SANDBOXCTL_CONFIG);
//   4. the defaults (Settings' initialisers; state_dir from $XDG_STATE_HOME
//      or $HOME, snapshot_dir under state_dir).
// The lists (exclude, exclude_data, post_sql) add up instead: the file's,
// then the command line's. Unknown config keys and values of the wrong type
// are errors, never silently ignored; relative paths in the file are relative
// to the file's directory.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/section.hpp"

namespace sandboxctl::config {

// One [[masking.rule]]: how the rows of one table are masked on their way
// from prod into the sandbox (masking/policy.hpp checks it against prod).
struct MaskingRule {
    std::string table;  // as written: [schema.]name
    // (column, transformer) as written, in the file's order.
    std::vector<std::pair<std::string, std::string>> columns;
    std::string origin;  // "file:line:column" of the rule, for messages
};

// [masking]; without the section, no rule of the user's and the default key file
// (a profile's masking policy uses it too).
struct MaskingSettings {
    std::filesystem::path key_file;  // default: state_dir/masking.key
    bool strict = false;             // refuse a refresh while a text column of a masked table is uncovered
    std::vector<MaskingRule> rules;
    std::string origin;  // "file:line:column" of the section
};

// One [[files.pair]] of the config: a tree to keep in step with the database.
struct FilePair {
    std::string from;  // a LOCATION (see sync/location.hpp)
    std::string to;
    // The config file's directory: a relative local path is relative to it,
    // as every other path in the file is.
    std::filesystem::path base_dir;
};

// One [[refresh.keep]]: rows of the sandbox that outlive a refresh or a full
// reset (rebuild/keep.hpp).
struct KeepRule {
    std::string table;             // as written: [schema.]name
    std::string where;             // one SQL boolean expression on the table's rows
    std::vector<std::string> key;  // columns a kept row replaces a loaded row on; empty: the table's keys
    std::string origin;            // "file:line:column" of the rule, for messages
};

// One [[channels]]: an outgoing channel of the sandbox's application that no
// profile knows, declared by the user (profiles/declared_channels.hpp).
struct ChannelRule {
    std::string name;
    std::string live_when;   // one SQL boolean expression, true while the channel is live
    std::string switch_off;  // one SQL statement that switches it off
    std::string origin;      // "file:line:column" of the declaration, for messages
    // "file:line:column" of the live_when and switch_off keys, for messages about them.
    std::string live_when_origin;
    std::string switch_off_origin;
};

// One entry of [kubernetes] scale: a workload stopped for the run.
struct Workload {
    std::string kind;  // "deployment" or "statefulset", as kubectl names the resource
    std::string name;
    std::string display() const { return kind + "/" + name; }
};

// [kubernetes]: the sandbox application's workloads, stopped (scaled to 0)
// by refresh and reset before exclusive access and restored after
// (kubernetes/workloads.hpp). Present only when the section is.
struct KubernetesSettings {
    std::string namespace_name;
    std::vector<Workload> scale;
    std::string kubectl = "kubectl";  // a name looked up on PATH, or a path
    std::string kubeconfig;           // empty: kubectl's default (in a pod, its service account)
    // How long to wait for the pods of the stopped workloads to be gone.
    std::chrono::milliseconds wait{std::chrono::minutes(2)};
};

// [pool]: sandbox databases beside the sandbox, each brought to one snapshot
// of it by `pool sync` and lent to one caller at a time (pool/). Present only
// when the section is.
struct PoolSettings {
    std::vector<std::string> targets;  // conninfo of each member, in the file's order
    std::string snapshot;              // the snapshot (of the sandbox) every member is brought to
    std::chrono::milliseconds lease_ttl{std::chrono::hours(2)};  // a lease's default length
    std::string origin;                                          // "file:line:column" of the section
};

struct Settings {
    std::optional<std::string> source;  // conninfo
    std::optional<std::string> target;  // conninfo
    std::optional<std::string> source_role;
    std::optional<std::string> target_role;
    std::vector<std::string> exclude;
    std::vector<std::string> exclude_data;
    std::vector<std::filesystem::path> post_sql;
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(30)};
    // For every session sandboxctl opens; 0 (none) by default, as pg_dump and
    // pg_restore do, so a role's default meant for the application cannot
    // cut a refresh short.
    std::chrono::milliseconds statement_timeout{0};
    std::string pg_bin;
    std::string hook_before;
    std::string hook_after;
    std::filesystem::path state_dir;
    std::filesystem::path snapshot_dir;  // default: state_dir/snapshots
    // [files]: trees synced by `refresh --with-files` and by `sync-files` without --from/--to.
    std::vector<FilePair> file_pairs;
    bool files_delete = false;
    bool files_checksum = false;
    std::string files_chown;
    bool with_files = false;  // refresh --with-files
    // refresh --init=DATABASE: the unmarked, non-empty target database of
    // that name may become the sandbox (empty: no --init).
    std::string init_database;
    std::vector<KeepRule> keep;
    // Every other table of the file: an application profile's section
    // (see profiles/registry.hpp), parsed and checked there.
    std::vector<Section> application_sections;
    // [[channels]], in the file's order.
    std::vector<ChannelRule> channels;
    std::optional<KubernetesSettings> kubernetes;
    MaskingSettings masking;
    std::optional<PoolSettings> pool;
};

// The command-line layer: only what the user gave.
struct Overrides {
    std::optional<std::string> config_file;
    std::optional<std::string> source, target, source_role, target_role;
    std::vector<std::string> exclude, exclude_data, post_sql;
    std::optional<std::string> lock_timeout;
    std::optional<std::string> statement_timeout;
    std::optional<std::string> pg_bin;
    std::optional<std::string> snapshot_dir;
    bool with_files = false;
    // refresh --init: given bare, it holds "" (a usage error: the name confirms what is adopted).
    std::optional<std::string> init;
};

// The tables of the configuration file the core reads itself ([source],
// [refresh], ...): any other table is an application profile's.
const std::vector<std::string_view>& core_sections();

// An environment variable that supplies a setting, and the command-line
// option it stands in for (the help text names it there).
struct EnvironmentVariable {
    const char* name;
    const char* option;
};
const std::vector<EnvironmentVariable>& environment_variables();

// Reads the layers and returns the merged settings. Throws a usage error
// naming file, line and column for malformed TOML, and the key for unknown ones.
Settings resolve(const Overrides& cli);

// Parses one config file into `settings` (exposed for tests).
void load_file(const std::filesystem::path& file, Settings& settings);
// The same for TOML text that came from `file` (named in errors; relative
// paths in it are resolved against its directory). The fuzz target's entry.
void load_text(std::string_view text, const std::filesystem::path& file, Settings& settings);

// Requires a value, with a message that says how to give it.
const std::string& require(const std::optional<std::string>& value, const char* what, const char* option,
                           const char* env);

// A lease's length (--ttl, [pool] lease_ttl): longer than 0 and at most
// 87600h, ten years. Its expiry is shown as an ISO 8601 date, whose years
// stop at 9999.
std::chrono::milliseconds parse_lease_ttl(std::string_view text, std::string_view what);

}  // namespace sandboxctl::config
