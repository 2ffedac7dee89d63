#pragma once
// A snapshot's manifest: what it holds and how to check it. Written last,
// inside the staging directory, so a directory with a manifest is complete.
// The format is documented in docs/snapshot-format.md.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sandboxctl::snapshot {

inline constexpr const char* manifest_format = "sandboxctl-snapshot/1";

struct TableEntry {
    std::string schema;
    std::string name;
    std::string file;                  // relative to the snapshot directory
    bool binary = false;               // COPY format of the data file
    std::vector<std::string> columns;  // COPY column list, in order
    long long rows = 0;
    long long bytes = 0;  // uncompressed COPY bytes
    long long compressed_bytes = 0;
    std::string sha256 = {};        // of the compressed file
    std::string content_hash = {};  // verify::hash_table of the table at the snapshot

    std::string qualified() const;
    std::string display() const { return schema + "." + name; }
};

struct SequenceEntry {
    std::string schema;
    std::string name;
    std::string last_value;
    bool is_called = false;

    std::string qualified() const;
};

struct Manifest {
    std::string name;
    std::string id;          // random, per creation; empty in snapshots made before it existed
    std::string created_at;  // ISO 8601, UTC
    std::string source;      // the sandbox it was taken from (no password)
    std::string sandbox_id;  // that sandbox's mark (safety/sandbox_mark.hpp); empty in older snapshots
    std::string schema_fingerprint;
    // What the sandbox's rows were masked with when it was taken
    // (safety::read_masking_state): "" for unmasked rows, and in older snapshots.
    std::string masking;
    std::string schema_file = "schema.dump";
    std::string schema_sha256;
    std::vector<TableEntry> tables;
    std::vector<SequenceEntry> sequences;
    std::vector<std::string> matviews;  // populated materialized views, refresh order, quoted names
    // The session settings that shape a row's text (DateStyle, TimeZone, ...)
    // when the content hashes were taken; a reset hashes under the same ones.
    std::map<std::string, std::string> hash_settings;

    // "name@id": tells this snapshot from an earlier one of the same name
    // (the golden cache is labelled with it).
    std::string instance() const;
    long long total_rows() const;
    long long total_compressed_bytes() const;
};

void save_manifest(const Manifest& manifest, const std::filesystem::path& directory);
// A new random snapshot id (32 hex digits).
std::string new_snapshot_id();
// Throws a failure naming the file when it is missing or malformed.
Manifest load_manifest(const std::filesystem::path& directory);

}  // namespace sandboxctl::snapshot
