#include "config/settings.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "config/section.hpp"
#include "config/toml_values.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"

namespace sandboxctl::config {
namespace {

using toml_values::bool_value;
using toml_values::reject_unknown;
using toml_values::section;
using toml_values::string_list;
using toml_values::string_value;
using toml_values::where;
using toml_values::wrong_type;

// A timeout from [refresh], its errors placed at file:line:col like every
// other configuration error.
std::chrono::milliseconds timeout_at(const toml::table& refresh, std::string_view key, const std::string& value) {
    try {
        return parse_server_timeout(value, "refresh." + std::string(key));
    } catch (const Error& e) {
        throw usage_error(fmt::format("{}: {}", where(refresh.get(key)->source()), e.what()), e.hint());
    }
}

void read_endpoint(const toml::table& root, const char* name, std::optional<std::string>& conninfo,
                   std::optional<std::string>& role) {
    const toml::table* table = section(root, name);
    if (!table) return;
    reject_unknown(*table, {"conninfo", "role"}, name);
    if (auto v = string_value(*table, "conninfo", name)) conninfo = v;
    if (auto v = string_value(*table, "role", name)) role = v;
}

// [[refresh.keep]]: an array of tables, each with a table and a where.
std::vector<KeepRule> keep_rules(const toml::table& refresh) {
    std::vector<KeepRule> rules;
    const char* hint = "Write each rule as a [[refresh.keep]] table with table = \"...\" and where = \"...\".";
    for (const toml::table* rule : toml_values::array_of_tables(refresh, "keep", "refresh.keep", hint)) {
        reject_unknown(*rule, {"table", "where", "key"}, "refresh.keep");
        auto table = string_value(*rule, "table", "refresh.keep");
        auto condition = string_value(*rule, "where", "refresh.keep");
        if (!table || table->empty() || !condition || condition->empty()) {
            throw usage_error(fmt::format("{}: [[refresh.keep]] needs both table and where", where(rule->source())),
                              hint);
        }
        auto key = string_list(*rule, "key", "refresh.keep");
        for (const auto& column : key) {
            if (column.empty()) {
                throw usage_error(fmt::format("{}: [[refresh.keep]] key names an empty column", where(rule->source())),
                                  "Write key = [\"column\", ...] with the columns, as named in the table, that "
                                  "identify a row.");
            }
        }
        rules.push_back({*table, *condition, key, where(rule->source())});
    }
    return rules;
}

// [pool]: targets (at least one conninfo, no two alike), snapshot (a
// snapshot name) and lease_ttl (a duration, default 2h).
PoolSettings pool_settings(const toml::table& pool) {
    reject_unknown(pool, {"targets", "snapshot", "lease_ttl"}, "pool");
    PoolSettings settings;
    settings.origin = where(pool.source());
    settings.targets = string_list(pool, "targets", "pool");
    if (settings.targets.empty()) {
        throw usage_error(fmt::format("{}: [pool] needs targets, the member databases", settings.origin),
                          "Write targets = [\"host=db dbname=erp-sandbox-1 user=agent1\", ...]; \"sandboxctl "
                          "provision --sandboxes N\" makes them.");
    }
    for (std::size_t i = 0; i < settings.targets.size(); ++i) {
        if (settings.targets[i].empty())
            throw usage_error(fmt::format("{}: pool.targets entry {} is empty", settings.origin, i + 1));
        for (std::size_t j = 0; j < i; ++j) {
            if (settings.targets[i] == settings.targets[j]) {
                throw usage_error(
                    fmt::format("{}: pool.targets entries {} and {} are the same", settings.origin, j + 1, i + 1),
                    "Each member is a database of its own.");
            }
        }
    }
    auto snapshot = string_value(pool, "snapshot", "pool");
    if (!snapshot || snapshot->empty()) {
        throw usage_error(
            fmt::format("{}: [pool] needs snapshot, the snapshot every member is brought to", settings.origin),
            "Write snapshot = \"golden\", a snapshot taken of the sandbox (\"sandboxctl snapshot "
            "create golden\", or \"refresh --snapshot golden\").");
    }
    settings.snapshot = *snapshot;
    if (auto v = string_value(pool, "lease_ttl", "pool")) {
        try {
            settings.lease_ttl = parse_lease_ttl(*v, "pool.lease_ttl");
        } catch (const Error& e) {
            throw usage_error(fmt::format("{}: {}", where(pool.get("lease_ttl")->source()), e.what()), e.hint());
        }
    }
    return settings;
}

// [masking]: key_file, strict and [[masking.rule]] tables, each with a
// table and an inline table of columns (column = "transformer").
MaskingSettings masking_settings(const toml::table& masking, const std::filesystem::path& file) {
    reject_unknown(masking, {"key_file", "strict", "rule"}, "masking");
    MaskingSettings settings;
    settings.origin = where(masking.source());
    if (auto v = string_value(masking, "key_file", "masking")) {
        if (v->empty())
            throw usage_error(fmt::format("{}: masking.key_file is empty", where(masking.get("key_file")->source())));
        std::filesystem::path p(*v);
        settings.key_file = p.is_absolute() ? p : file.parent_path() / p;
    }
    if (auto v = bool_value(masking, "strict", "masking")) settings.strict = *v;
    const char* hint = "Write each rule as a [[masking.rule]] table with table = \"...\" and columns = { column = "
                       "\"transformer\", ... }.";
    for (const toml::table* rule : toml_values::array_of_tables(masking, "rule", "masking.rule", hint)) {
        reject_unknown(*rule, {"table", "columns"}, "masking.rule");
        MaskingRule out;
        out.origin = where(rule->source());
        auto table = string_value(*rule, "table", "masking.rule");
        const toml::node* columns = rule->get("columns");
        if (!table || table->empty() || !columns)
            throw usage_error(fmt::format("{}: [[masking.rule]] needs a table and its columns", out.origin), hint);
        if (!columns->is_table())
            wrong_type(*columns, "masking.rule.columns", "a table of column = \"transformer\"", hint);
        out.table = *table;
        for (const auto& [column, transformer] : *columns->as_table()) {
            if (column.str().empty())
                throw usage_error(
                    fmt::format("{}: [[masking.rule]] names an empty column", where(transformer.source())));
            auto spec = string_value(*columns->as_table(), column.str(), "masking.rule.columns");
            out.columns.emplace_back(std::string(column.str()), *spec);
        }
        if (out.columns.empty())
            throw usage_error(fmt::format("{}: [[masking.rule]] for {} covers no column", out.origin, out.table), hint);
        settings.rules.push_back(std::move(out));
    }
    return settings;
}

// [[channels]]: an array of tables, each with a name, a live_when and a
// switch_off (the SQL is checked by profiles/declared_channels.cpp).
std::vector<ChannelRule> channel_rules(const toml::table& root) {
    std::vector<ChannelRule> rules;
    const char* hint = "Declare each channel as a [[channels]] table with name = \"...\", live_when = \"<SQL "
                       "expression, true while it is live>\" and switch_off = \"<one SQL statement>\".";
    for (const toml::table* rule : toml_values::array_of_tables(root, "channels", "channels", hint)) {
        reject_unknown(*rule, {"name", "live_when", "switch_off"}, "channels");
        auto name = string_value(*rule, "name", "channels");
        auto live_when = string_value(*rule, "live_when", "channels");
        auto switch_off = string_value(*rule, "switch_off", "channels");
        if (!name || name->empty() || !live_when || live_when->empty() || !switch_off || switch_off->empty()) {
            throw usage_error(
                fmt::format("{}: [[channels]] needs name, live_when and switch_off", where(rule->source())), hint);
        }
        rules.push_back({*name, *live_when, *switch_off, where(rule->source()), where(rule->get("live_when")->source()),
                         where(rule->get("switch_off")->source())});
    }
    return rules;
}

// Kubernetes object names (RFC 1123): lowercase letters, digits and '-'
// ('.' too in a subdomain), starting and ending with a letter or digit. A
// name that passes cannot be taken for an option by kubectl.
bool dns_name(std::string_view name, std::size_t max_length, bool dots) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (name.empty() || name.size() > max_length || !alnum(name.front()) || !alnum(name.back())) return false;
    for (char c : name) {
        if (!alnum(c) && c != '-' && !(dots && c == '.')) return false;
    }
    return true;
}

Workload workload(const toml::node& item) {
    const char* hint = "Write each workload as \"deployment/NAME\" or \"statefulset/NAME\", e.g. scale = "
                       "[\"deployment/erp-sandbox\"]: the workloads with replicas that sandboxctl can record and "
                       "restore.";
    if (!item.is_string()) wrong_type(item, "kubernetes.scale", "an array of strings", hint);
    std::string text = *item.value<std::string>();
    auto slash = text.find('/');
    std::string kind = text.substr(0, slash);
    if (slash == std::string::npos || (kind != "deployment" && kind != "statefulset")) {
        throw usage_error(fmt::format("{}: \"kubernetes.scale\" entry \"{}\" is not deployment/NAME or "
                                      "statefulset/NAME",
                                      where(item.source()), text),
                          hint);
    }
    std::string name = text.substr(slash + 1);
    if (!dns_name(name, 253, true)) {
        throw usage_error(fmt::format("{}: \"kubernetes.scale\" entry \"{}\" has an invalid name \"{}\"",
                                      where(item.source()), text, name),
                          "A Kubernetes name is lowercase letters, digits, '-' and '.', starting and ending with a "
                          "letter or digit.");
    }
    return {kind, name};
}

KubernetesSettings kubernetes_settings(const toml::table& table, const std::filesystem::path& file) {
    reject_unknown(table, {"namespace", "scale", "kubectl", "kubeconfig", "wait"}, "kubernetes");
    KubernetesSettings kubernetes;
    auto namespace_name = string_value(table, "namespace", "kubernetes");
    if (!namespace_name) {
        throw usage_error(fmt::format("{}: [kubernetes] needs namespace", where(table.source())),
                          "Name the namespace of the workloads to stop: namespace = \"erp\".");
    }
    if (!dns_name(*namespace_name, 63, false)) {
        throw usage_error(fmt::format("{}: \"kubernetes.namespace\" \"{}\" is not a namespace name",
                                      where(table.get("namespace")->source()), *namespace_name),
                          "A namespace name is lowercase letters, digits and '-', at most 63 characters.");
    }
    kubernetes.namespace_name = *namespace_name;
    const toml::node* scale = table.get("scale");
    const toml::array* array = scale ? scale->as_array() : nullptr;
    if (scale && !array) {
        wrong_type(*scale, "kubernetes.scale", "an array of strings",
                   "Write a list in brackets, even of one: scale = [\"deployment/NAME\"].");
    }
    if (!array || array->empty()) {
        throw usage_error(fmt::format("{}: [kubernetes] needs scale, the workloads to stop",
                                      where(scale ? scale->source() : table.source())),
                          "List them: scale = [\"deployment/erp-sandbox\"].");
    }
    for (const auto& item : *array) kubernetes.scale.push_back(workload(item));
    if (auto v = string_value(table, "kubectl", "kubernetes")) {
        if (v->empty()) {
            throw usage_error(fmt::format("{}: \"kubernetes.kubectl\" is empty", where(table.get("kubectl")->source())),
                              "Leave it out to run the kubectl on PATH, or give its path.");
        }
        // A bare name is looked up on PATH; a path is relative to the file.
        std::filesystem::path path(*v);
        kubernetes.kubectl =
            v->find('/') == std::string::npos || path.is_absolute() ? *v : (file.parent_path() / path).string();
    }
    if (auto v = string_value(table, "kubeconfig", "kubernetes"); v && !v->empty()) {
        std::filesystem::path path(*v);
        kubernetes.kubeconfig = path.is_absolute() ? *v : (file.parent_path() / path).string();
    }
    if (auto v = string_value(table, "wait", "kubernetes")) {
        try {
            kubernetes.wait = parse_duration(*v, "kubernetes.wait");
        } catch (const Error& e) {
            throw usage_error(fmt::format("{}: {}", where(table.get("wait")->source()), e.what()), e.hint());
        }
    }
    return kubernetes;
}

std::optional<std::string> env(const char* name) {
    const char* value = std::getenv(name);
    if (!value || !*value) return std::nullopt;
    return std::string(value);
}

std::filesystem::path default_state_dir() {
    if (auto state = env("XDG_STATE_HOME")) return std::filesystem::path(*state) / "sandboxctl";
    if (auto home = env("HOME")) return std::filesystem::path(*home) / ".local/state/sandboxctl";
    return std::filesystem::temp_directory_path() / "sandboxctl-state";
}

}  // namespace

void load_file(const std::filesystem::path& file, Settings& settings) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        throw usage_error(fmt::format("configuration file \"{}\" is a directory", file.string()),
                          "Give -c (or SANDBOXCTL_CONFIG) the TOML file itself, e.g. \"" +
                              (file / "sandboxctl.toml").string() + "\".");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw usage_error(fmt::format("could not read configuration file \"{}\": {}", file.string(),
                                      std::filesystem::exists(file) ? "permission denied" : "no such file"));
    }
    std::stringstream text;
    text << in.rdbuf();
    load_text(text.str(), file, settings);
}

void load_text(std::string_view text, const std::filesystem::path& file, Settings& settings) {
    std::shared_ptr<const toml::table> parsed;
    try {
        parsed = std::make_shared<const toml::table>(toml::parse(text, file.string()));
    } catch (const toml::parse_error& e) {
        throw usage_error(fmt::format("{}: invalid TOML: {}", where(e.source()), e.description()));
    }
    const toml::table& root = *parsed;
    // Any other table is an application profile's section, which
    // profiles/registry.cpp checks; any other key is unknown.
    toml_values::Keys known = {"state_dir", "snapshot_dir", "channels"};
    for (auto name : core_sections()) known.emplace(name);
    for (const auto& [key, node] : root) {
        if (!node.is_table() || known.contains(key.str())) continue;
        settings.application_sections.emplace_back(
            std::string(key.str()), std::make_shared<const Section::Table>(Section::Table{parsed, node.as_table()}),
            file.parent_path());
    }
    for (const auto& application : settings.application_sections) known.insert(application.name());
    reject_unknown(root, known, "");
    // Relative to the file, not to wherever sandboxctl happens to run.
    auto relative = [&](const std::string& path) {
        std::filesystem::path p(path);
        return p.is_absolute() ? p : file.parent_path() / p;
    };
    settings.channels = channel_rules(root);
    read_endpoint(root, "source", settings.source, settings.source_role);
    read_endpoint(root, "target", settings.target, settings.target_role);
    if (auto v = string_value(root, "state_dir", "")) settings.state_dir = relative(*v);
    if (auto v = string_value(root, "snapshot_dir", "")) settings.snapshot_dir = relative(*v);

    if (const toml::table* refresh = section(root, "refresh")) {
        reject_unknown(*refresh,
                       {"exclude", "exclude_data", "post_sql", "lock_timeout", "statement_timeout", "pg_bin", "keep"},
                       "refresh");
        settings.keep = keep_rules(*refresh);
        settings.exclude = string_list(*refresh, "exclude", "refresh");
        settings.exclude_data = string_list(*refresh, "exclude_data", "refresh");
        for (const auto& path : string_list(*refresh, "post_sql", "refresh"))
            settings.post_sql.push_back(relative(path));
        if (auto v = string_value(*refresh, "lock_timeout", "refresh")) {
            settings.lock_timeout = timeout_at(*refresh, "lock_timeout", *v);
        }
        if (auto v = string_value(*refresh, "statement_timeout", "refresh")) {
            settings.statement_timeout = timeout_at(*refresh, "statement_timeout", *v);
        }
        if (auto v = string_value(*refresh, "pg_bin", "refresh")) settings.pg_bin = relative(*v).string();
    }
    if (const toml::table* files = section(root, "files")) {
        reject_unknown(*files, {"pair", "delete", "checksum", "chown"}, "files");
        if (auto v = bool_value(*files, "delete", "files")) settings.files_delete = *v;
        if (auto v = bool_value(*files, "checksum", "files")) settings.files_checksum = *v;
        if (auto v = string_value(*files, "chown", "files")) settings.files_chown = *v;
        const char* hint = "Write each pair as a [[files.pair]] table with from = \"...\" and to = \"...\".";
        for (const toml::table* pair : toml_values::array_of_tables(*files, "pair", "files.pair", hint)) {
            reject_unknown(*pair, {"from", "to"}, "files.pair");
            auto from = string_value(*pair, "from", "files.pair");
            auto to = string_value(*pair, "to", "files.pair");
            if (!from || !to)
                throw usage_error(fmt::format("{}: [[files.pair]] needs both from and to", where(pair->source())));
            settings.file_pairs.push_back({*from, *to, file.parent_path()});
        }
    }
    if (const toml::table* kubernetes = section(root, "kubernetes")) {
        settings.kubernetes = kubernetes_settings(*kubernetes, file);
    }
    if (const toml::table* masking = section(root, "masking")) settings.masking = masking_settings(*masking, file);
    if (const toml::table* pool = section(root, "pool")) settings.pool = pool_settings(*pool);
    if (const toml::table* hooks = section(root, "hooks")) {
        reject_unknown(*hooks, {"before", "after"}, "hooks");
        if (auto v = string_value(*hooks, "before", "hooks")) settings.hook_before = *v;
        if (auto v = string_value(*hooks, "after", "hooks")) settings.hook_after = *v;
    }
}

const std::vector<std::string_view>& core_sections() {
    static const std::vector<std::string_view> names = {"source",     "target", "refresh", "files",
                                                        "kubernetes", "hooks",  "masking", "pool"};
    return names;
}

const std::vector<EnvironmentVariable>& environment_variables() {
    static const std::vector<EnvironmentVariable> variables = {
        {"SANDBOXCTL_CONFIG", "--config"},
        {"SANDBOXCTL_SOURCE", "--source"},
        {"SANDBOXCTL_TARGET", "--target"},
        {"SANDBOXCTL_SNAPSHOT_DIR", "--snapshot-dir"},
    };
    return variables;
}

Settings resolve(const Overrides& cli) {
    Settings settings;
    settings.state_dir = default_state_dir();
    if (auto file = cli.config_file ? cli.config_file : env("SANDBOXCTL_CONFIG")) load_file(*file, settings);

    if (auto v = env("SANDBOXCTL_SOURCE")) settings.source = v;
    if (auto v = env("SANDBOXCTL_TARGET")) settings.target = v;
    if (auto v = env("SANDBOXCTL_SNAPSHOT_DIR")) settings.snapshot_dir = *v;

    if (cli.source) settings.source = cli.source;
    if (cli.target) settings.target = cli.target;
    if (cli.source_role) settings.source_role = cli.source_role;
    if (cli.target_role) settings.target_role = cli.target_role;
    settings.exclude.insert(settings.exclude.end(), cli.exclude.begin(), cli.exclude.end());
    settings.exclude_data.insert(settings.exclude_data.end(), cli.exclude_data.begin(), cli.exclude_data.end());
    for (const auto& path : cli.post_sql) settings.post_sql.emplace_back(path);
    if (cli.lock_timeout) settings.lock_timeout = parse_server_timeout(*cli.lock_timeout, "--lock-timeout");
    if (cli.statement_timeout) {
        settings.statement_timeout = parse_server_timeout(*cli.statement_timeout, "--statement-timeout");
    }
    if (cli.pg_bin) settings.pg_bin = *cli.pg_bin;
    if (cli.snapshot_dir) settings.snapshot_dir = *cli.snapshot_dir;
    settings.with_files = cli.with_files;
    if (cli.init) {
        if (cli.init->empty()) {
            throw usage_error("--init needs the name of the database it adopts as the sandbox",
                              "Write --init=DATABASE with the target's database name, e.g. --init=erp-sandbox: a "
                              "refresh with --init replaces everything in that database, so it must be named.");
        }
        settings.init_database = *cli.init;
    }
    if (settings.snapshot_dir.empty()) settings.snapshot_dir = settings.state_dir / "snapshots";
    if (settings.masking.key_file.empty()) settings.masking.key_file = settings.state_dir / "masking.key";
    return settings;
}

const std::string& require(const std::optional<std::string>& value, const char* what, const char* option,
                           const char* env_name) {
    if (!value) {
        throw usage_error(fmt::format("no {} connection given", what),
                          fmt::format("Pass {} CONNINFO, set {}, or put it in the config file.", option, env_name));
    }
    return *value;
}

std::chrono::milliseconds parse_lease_ttl(std::string_view text, std::string_view what) {
    auto ttl = parse_duration(text, what);
    if (ttl.count() <= 0) throw usage_error(fmt::format("{} must be longer than 0", what));
    if (ttl > std::chrono::hours(87600)) {
        throw usage_error(fmt::format("{} \"{}\" is longer than ten years", what, text),
                          "A lease is the safety net of an agent that may die: give it hours (2h), at most 87600h.");
    }
    return ttl;
}

}  // namespace sandboxctl::config
