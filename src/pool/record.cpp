#include "pool/record.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace sandboxctl::pool {
namespace {

constexpr const char* record_format = "sandboxctl-pool/1";

}  // namespace

bool Record::lists(const std::string& mark) const {
    return std::find(members.begin(), members.end(), mark) != members.end();
}

std::filesystem::path record_path(const std::filesystem::path& store_root, const std::string& snapshot) {
    return store_root / (".pool-" + snapshot + ".json");
}

Record load_record(const std::filesystem::path& store_root, const std::string& snapshot) {
    auto path = record_path(store_root, snapshot);
    Record record{snapshot, "", {}};
    std::ifstream in(path);
    if (!in) {
        if (std::filesystem::exists(path)) throw failure(fmt::format("could not read \"{}\"", path.string()));
        return record;
    }
    std::stringstream text;
    text << in.rdbuf();
    try {
        auto doc = nlohmann::json::parse(text.str());
        if (doc.at("format").get<std::string>() != record_format) throw std::runtime_error("unknown format");
        record.sandbox_id = doc.at("sandbox_id").get<std::string>();
        record.members = doc.at("members").get<std::vector<std::string>>();
    } catch (const std::exception& e) {
        throw failure(fmt::format("could not read the pool record \"{}\": {}", path.string(), e.what()),
                      "It lists the pool's members: restore it from a backup, or remove it and empty each "
                      "member's database (and its comment) so that \"sandboxctl pool sync\" takes them again.");
    }
    return record;
}

void save_record(const std::filesystem::path& store_root, const Record& record) {
    nlohmann::json doc = {{"format", record_format},
                          {"snapshot", record.snapshot},
                          {"sandbox_id", record.sandbox_id},
                          {"members", record.members}};
    std::filesystem::create_directories(store_root);
    write_file_atomically(record_path(store_root, record.snapshot), doc.dump(2) + "\n", "the pool record");
}

}  // namespace sandboxctl::pool
