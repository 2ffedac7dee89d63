#include "snapshot/file_check.hpp"

#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/checksum.hpp"
#include "core/error.hpp"

namespace sandboxctl::snapshot {
namespace {

constexpr const char* stats_file = "verified.json";

std::vector<std::pair<std::string, std::string>> files_of(const Manifest& m) {
    std::vector<std::pair<std::string, std::string>> files = {{m.schema_file, m.schema_sha256}};
    for (const auto& t : m.tables) files.emplace_back(t.file, t.sha256);
    return files;
}

std::string stat_key(const std::filesystem::path& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return {};
    return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
}

nlohmann::json load_stats(const std::filesystem::path& directory) {
    std::ifstream in(directory / stats_file);
    if (!in) return nlohmann::json::object();
    try {
        return nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception&) {
        return nlohmann::json::object();
    }
}

}  // namespace

std::vector<FileProblem> check_files(const std::filesystem::path& directory, const Manifest& manifest,
                                     Thoroughness thoroughness) {
    std::vector<FileProblem> problems;
    auto stats = thoroughness == Thoroughness::quick ? load_stats(directory) : nlohmann::json::object();
    for (const auto& [file, expected] : files_of(manifest)) {
        auto path = directory / file;
        std::string key = stat_key(path);
        if (key.empty()) {
            problems.push_back({file, "missing"});
            continue;
        }
        if (stats.contains(file) && stats[file] == key) continue;
        if (sha256_of_file(path) != expected) problems.push_back({file, "checksum mismatch (the file is corrupt)"});
    }
    return problems;
}

void record_file_stats(const std::filesystem::path& directory, const Manifest& manifest) {
    nlohmann::json stats = nlohmann::json::object();
    for (const auto& [file, sha] : files_of(manifest)) stats[file] = stat_key(directory / file);
    write_file_atomically(directory / stats_file, stats.dump(2) + "\n", "snapshot file stats");
}

void require_intact(const std::string& name, const std::vector<FileProblem>& problems) {
    if (problems.empty()) return;
    std::string list;
    for (const auto& p : problems) list += "\n  " + p.file + ": " + p.problem;
    throw failure("snapshot \"" + name + "\" is damaged:" + list,
                  "Delete it and create it again; the sandbox was not changed.");
}

}  // namespace sandboxctl::snapshot
