#pragma once
// Settings come from three layers, later ones winning: the TOML config file
// (-c FILE or $SANDBOXCTL_CONFIG), environment variables, then the command line.
// Unknown config keys are errors, never silently ignored.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::config {

// One [[files.pair]] of the config: a tree to keep in step with the database.
struct FilePair {
    std::string from;
    std::string to;
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
    bool init = false;        // refresh --init: an unmarked, non-empty target may become the sandbox
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
    bool init = false;
};

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

}  // namespace sandboxctl::config
