#include "snapshot/file_check.hpp"

#include <sys/stat.h>

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/checksum.hpp"
#include "core/error.hpp"
#include "pg/copy_text.hpp"
#include "snapshot/zstd_file.hpp"

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
    return std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
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

// A text-format data file must decode to the rows the manifest promises,
// each with one field per listed column: checksums prove the bytes are those
// written, this proves they are what the manifest says they are.
std::string decode_problem(const std::filesystem::path& path, const TableEntry& table) {
    long long rows = 0;
    std::size_t columns = table.columns.size();
    pg::CopyTextDecoder decoder([&](const pg::CopyRow& row) {
        bool empty_line = row.size() == 1 && row[0] && row[0]->empty();
        if (row.size() != columns && !(columns == 0 && empty_line)) {
            throw failure(
                fmt::format("row {} has {} fields, the manifest lists {} columns", rows + 1, row.size(), columns));
        }
        ++rows;
    });
    try {
        read_zstd_file(path, [&](std::string_view chunk) { decoder.feed(chunk); });
        decoder.finish();
    } catch (const Error& e) {
        return e.what();
    }
    if (rows != table.rows) return fmt::format("holds {} rows, the manifest says {}", rows, table.rows);
    return {};
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
    if (thoroughness == Thoroughness::full && problems.empty()) {
        for (const auto& table : manifest.tables) {
            if (table.binary) continue;
            if (auto problem = decode_problem(directory / table.file, table); !problem.empty()) {
                problems.push_back({table.file, problem});
            }
        }
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
