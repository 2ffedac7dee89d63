#include "safety/records.hpp"

#include <fmt/format.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "safety/state_path.hpp"

namespace sandboxctl::safety {
namespace {

constexpr const char* source_record_kind = "sources";

// The record at `path` if it exists, parses and was made on `conn`'s server.
std::optional<nlohmann::json> read_record(pg::Connection& conn, const std::filesystem::path& path,
                                          const char* server_key) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    try {
        auto doc = nlohmann::json::parse(in);
        auto server = doc.value(server_key, std::string());
        if (server != server_address(conn)) {
            log::detail("the record \"{}\" was made on server \"{}\", not this one ({}): it proves nothing here",
                        path.string(), server, server_address(conn));
            return std::nullopt;
        }
        return doc;
    } catch (const std::exception& e) {
        log::detail("could not read the record \"{}\": {}", path.string(), e.what());
        return std::nullopt;
    }
}

}  // namespace

std::string server_address(pg::Connection& conn) { return conn.host() + ":" + conn.port(); }

std::optional<SandboxMark> recorded_mark(pg::Connection& conn, const std::filesystem::path& state_dir) {
    auto path = database_state_file(conn, conn.database(), state_dir, refresh_record_kind);
    auto doc = read_record(conn, path, "target_server");
    if (!doc) return std::nullopt;
    auto id = doc->value("sandbox_mark", std::string());
    if (!std::regex_match(id, std::regex("[0-9a-f-]{36}"))) return std::nullopt;
    return SandboxMark{id};
}

void record_source(pg::Connection& source, const std::filesystem::path& state_dir) {
    try {
        auto path = database_state_file(source, source.database(), state_dir, source_record_kind);
        std::filesystem::create_directories(path.parent_path());
        nlohmann::json doc = {{"database", source.database()},
                              {"source_server", server_address(source)},
                              {"recorded_at", source.query_value("SELECT now()::text")}};
        write_file_atomically(path, doc.dump(2) + "\n", "source record");
    } catch (const std::exception& e) {
        log::warning("could not record the source of the refresh: {}", e.what());
    }
}

bool recorded_as_source(pg::Connection& conn, const std::filesystem::path& state_dir) {
    auto path = database_state_file(conn, conn.database(), state_dir, source_record_kind);
    return read_record(conn, path, "source_server").has_value();
}

}  // namespace sandboxctl::safety
