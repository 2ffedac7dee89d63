#include "snapshot/manifest.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/sum.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::snapshot {

std::string TableEntry::qualified() const { return pg::qualified_name(schema, name); }
std::string SequenceEntry::qualified() const { return pg::qualified_name(schema, name); }

std::string Manifest::instance() const { return id.empty() ? name : name + "@" + id; }
long long Manifest::total_rows() const { return sum_of(tables, &TableEntry::rows); }
long long Manifest::total_compressed_bytes() const { return sum_of(tables, &TableEntry::compressed_bytes); }

std::string new_snapshot_id() {
    std::random_device random;
    std::string id;
    for (int i = 0; i < 4; ++i) id += fmt::format("{:08x}", random());
    return id;
}

void save_manifest(const Manifest& m, const std::filesystem::path& directory) {
    nlohmann::json doc = {{"format", manifest_format},
                          {"name", m.name},
                          {"id", m.id},
                          {"created_at", m.created_at},
                          {"source", m.source},
                          {"sandbox_id", m.sandbox_id},
                          {"schema_fingerprint", m.schema_fingerprint},
                          {"masking", m.masking},
                          {"schema", {{"file", m.schema_file}, {"sha256", m.schema_sha256}}}};
    doc["tables"] = nlohmann::json::array();
    for (const auto& t : m.tables) {
        doc["tables"].push_back({{"schema", t.schema},
                                 {"name", t.name},
                                 {"file", t.file},
                                 {"format", t.binary ? "binary" : "text"},
                                 {"columns", t.columns},
                                 {"rows", t.rows},
                                 {"bytes", t.bytes},
                                 {"compressed_bytes", t.compressed_bytes},
                                 {"sha256", t.sha256},
                                 {"content_hash", t.content_hash}});
    }
    doc["sequences"] = nlohmann::json::array();
    for (const auto& s : m.sequences) {
        doc["sequences"].push_back(
            {{"schema", s.schema}, {"name", s.name}, {"last_value", s.last_value}, {"is_called", s.is_called}});
    }
    doc["matviews"] = m.matviews;
    doc["hash_settings"] = m.hash_settings;
    write_file_atomically(directory / "manifest.json", doc.dump(2) + "\n", "snapshot manifest");
}

Manifest load_manifest(const std::filesystem::path& directory) {
    auto path = directory / "manifest.json";
    std::ifstream in(path);
    if (!in) throw failure("could not read snapshot manifest \"" + path.string() + "\"");
    try {
        auto doc = nlohmann::json::parse(in);
        if (doc.at("format") != manifest_format) {
            throw failure("snapshot manifest \"" + path.string() + "\" has unknown format " + doc.at("format").dump());
        }
        Manifest m;
        m.name = doc.at("name");
        m.id = doc.value("id", "");
        m.created_at = doc.at("created_at");
        m.source = doc.at("source");
        m.sandbox_id = doc.value("sandbox_id", "");
        m.masking = doc.value("masking", "");
        m.schema_fingerprint = doc.at("schema_fingerprint");
        m.schema_file = doc.at("schema").at("file");
        m.schema_sha256 = doc.at("schema").at("sha256");
        for (const auto& t : doc.at("tables")) {
            m.tables.push_back({t.at("schema"), t.at("name"), t.at("file"), t.at("format") == "binary",
                                t.at("columns").get<std::vector<std::string>>(), t.at("rows"), t.at("bytes"),
                                t.at("compressed_bytes"), t.at("sha256"), t.at("content_hash")});
        }
        for (const auto& s : doc.at("sequences")) {
            m.sequences.push_back({s.at("schema"), s.at("name"), s.at("last_value"), s.at("is_called")});
        }
        m.matviews = doc.at("matviews").get<std::vector<std::string>>();
        m.hash_settings = doc.value("hash_settings", std::map<std::string, std::string>{});
        return m;
    } catch (const nlohmann::json::exception& e) {
        throw failure("snapshot manifest \"" + path.string() + "\" is malformed: " + e.what(),
                      "The snapshot is damaged; delete it and create it again.");
    }
}

}  // namespace sandboxctl::snapshot
