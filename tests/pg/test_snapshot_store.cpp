// The snapshot store under damage and failure (issue 9): a damaged snapshot
// is never loaded, a failed create leaves the previous baseline, dead runs'
// leftovers are swept, damage in one manifest hides nothing else, and status
// tells what changed since the baseline.
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/checksum.hpp"
#include "pg/reset_fixture.hpp"
#include "snapshot/zstd_file.hpp"

namespace sandboxctl::test {
namespace {

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// The parts of a one-frame zstd file that matter here (RFC 8878): whether the
// frame carries a content checksum, and where raw (stored) blocks lie.
struct FrameLayout {
    bool checksum = false;
    std::vector<std::pair<std::size_t, std::size_t>> raw_blocks;  // offset, size
};

FrameLayout frame_layout(const std::string& bytes) {
    auto byte = [&](std::size_t at) { return static_cast<unsigned char>(bytes.at(at)); };
    FrameLayout layout;
    std::size_t pos = 4;  // magic number
    unsigned fhd = byte(pos++);
    bool single_segment = fhd & 0x20;
    layout.checksum = fhd & 0x04;
    static const std::size_t dict_sizes[] = {0, 1, 2, 4}, fcs_sizes[] = {0, 2, 4, 8};
    pos += (single_segment ? 0 : 1) + dict_sizes[fhd & 3];
    pos += (fhd >> 6) == 0 ? (single_segment ? 1 : 0) : fcs_sizes[fhd >> 6];
    for (bool last = false; !last;) {
        unsigned header = byte(pos) | byte(pos + 1) << 8 | byte(pos + 2) << 16;
        pos += 3;
        last = header & 1;
        unsigned type = (header >> 1) & 3;
        std::size_t size = header >> 3;
        if (type == 0) layout.raw_blocks.emplace_back(pos, size);
        pos += type == 1 ? 1 : size;
    }
    return layout;
}

// Flips one bit inside a stored row value (a run of 64 bytes without a zero
// is payload, not COPY framing), keeping the file's size and modification
// time: the quick file check trusts it, and without a frame checksum it
// decompresses to a different value of the same length.
void flip_payload_bit(const std::filesystem::path& file) {
    auto mtime = std::filesystem::last_write_time(file);
    auto bytes = read_file(file);
    auto layout = frame_layout(bytes);
    ASSERT_FALSE(layout.raw_blocks.empty()) << "no stored block in " << file;
    auto [offset, size] = layout.raw_blocks.front();
    std::size_t at = offset + size / 2;
    while (at + 64 < offset + size && bytes.substr(at - 32, 64).find('\0') != std::string::npos) ++at;
    ASSERT_LT(at + 64, offset + size) << "no payload run in " << file;
    bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
    {
        std::fstream out(file, std::ios::in | std::ios::out | std::ios::binary);
        out.seekp(static_cast<std::streamoff>(at));
        out.put(bytes[at]);
    }
    std::filesystem::last_write_time(file, mtime);
}

class SnapshotStore : public ResetFixture {
protected:
    std::filesystem::path snapshot_dir(const std::string& name) { return std::filesystem::path(store_) / name; }

    // A table of random-looking bytes: zstd stores it in raw blocks.
    void add_noise_table() {
        model_->sandbox_sql(
            "SET ROLE sbx_sandbox_owner; CREATE TABLE noise (id int PRIMARY KEY, payload bytea NOT NULL);"
            "INSERT INTO noise SELECT i, decode(string_agg(md5(i || '/' || j), '' ORDER BY j), 'hex') "
            "FROM generate_series(1, 300) i, generate_series(1, 64) j GROUP BY i;");
    }

    nlohmann::json manifest_json(const std::string& snapshot) {
        std::ifstream in(snapshot_dir(snapshot) / "manifest.json");
        return nlohmann::json::parse(in);
    }

    void save_manifest_json(const std::string& snapshot, const nlohmann::json& doc) {
        std::ofstream(snapshot_dir(snapshot) / "manifest.json", std::ios::trunc) << doc.dump(2);
    }

    nlohmann::json& table_of(nlohmann::json& doc, const std::string& table) {
        for (auto& t : doc["tables"]) {
            if (t["name"] == table) return t;
        }
        throw std::runtime_error("no table " + table + " in the manifest");
    }

    std::string data_file(const std::string& snapshot, const std::string& table) {
        auto doc = manifest_json(snapshot);
        return table_of(doc, table)["file"];
    }

    ToolRun create_with_file_limit(std::vector<std::string> args) {
        args.insert(args.end(), {"--target", model_->target(), "--snapshot-dir", store_});
        return run_tool_with_file_limit(args, state_env(), 512 * 1024);
    }

    std::vector<std::string> store_entries() {
        std::vector<std::string> names;
        for (const auto& entry : std::filesystem::directory_iterator(store_)) names.push_back(entry.path().filename());
        std::sort(names.begin(), names.end());
        return names;
    }
};

// Issue 9, item 5: one flipped bit, mtime restored, passed the quick check and
// `reset --full` loaded it. zstd frames now carry a content checksum.
TEST_F(SnapshotStore, FlippedBitInDataFileIsNeverLoaded) {
    add_noise_table();
    ASSERT_EQ(tool({"snapshot", "create", "noisy"}).exit_code, 0);
    auto file = data_file("noisy", "noise");
    auto path = snapshot_dir("noisy") / file;
    EXPECT_TRUE(frame_layout(read_file(path)).checksum) << "the zstd frame carries no content checksum";
    flip_payload_bit(path);
    scenario_dml();
    auto before = state();
    auto reset = tool({"reset", "noisy", "--full"});
    EXPECT_EQ(reset.exit_code, 1) << reset.all();
    EXPECT_NE(reset.err.find("public.noise"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find(file), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("sandboxctl snapshot verify noisy"), std::string::npos) << reset.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

// Snapshots written before frame checksums still load; the content hash
// check after each table protects them (and any damage the file checksum
// cannot see, here a checksum taken over the damaged bytes).
TEST_F(SnapshotStore, OldSnapshotWithoutFrameChecksumsLoadsAndContentHashGuardsIt) {
    add_noise_table();
    ASSERT_EQ(tool({"snapshot", "create", "noisy"}).exit_code, 0);
    auto at_snapshot = state();
    auto file = data_file("noisy", "noise");
    auto path = snapshot_dir("noisy") / file;
    std::string data;
    snapshot::read_zstd_file(path, [&](std::string_view chunk) { data.append(chunk); });
    std::string old_format(ZSTD_compressBound(data.size()), '\0');
    old_format.resize(ZSTD_compress(old_format.data(), old_format.size(), data.data(), data.size(), 3));
    write_bytes(path, old_format);
    ASSERT_FALSE(frame_layout(old_format).checksum);
    auto doc = manifest_json("noisy");
    doc.erase("id");
    doc.erase("hash_settings");
    table_of(doc, "noise")["sha256"] = sha256_of_file(path);
    table_of(doc, "noise")["compressed_bytes"] = old_format.size();
    save_manifest_json("noisy", doc);
    std::filesystem::remove(snapshot_dir("noisy") / "verified.json");

    scenario_dml();
    auto loads = tool({"reset", "noisy", "--full"});
    ASSERT_EQ(loads.exit_code, 0) << loads.all();
    auto now = state();
    EXPECT_TRUE(now == at_snapshot) << describe_differences(at_snapshot, now);

    flip_payload_bit(path);
    table_of(doc, "noise")["sha256"] = sha256_of_file(path);
    save_manifest_json("noisy", doc);
    scenario_dml();
    auto before = state();
    auto reset = tool({"reset", "noisy", "--full"});
    EXPECT_EQ(reset.exit_code, 1) << reset.all();
    EXPECT_NE(reset.err.find("public.noise"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("content hash"), std::string::npos) << reset.err;
    EXPECT_NE(reset.err.find("sandboxctl snapshot verify noisy"), std::string::npos) << reset.err;
    auto after = state();
    EXPECT_TRUE(before == after) << describe_differences(before, after);
}

// The content hash is a hash of each row's text, which depends on session
// settings (TimeZone, DateStyle, ...): a reset run with other settings than
// the create must still load and check the snapshot, not call it damaged.
TEST_F(SnapshotStore, ContentHashCheckHoldsUnderOtherSessionSettings) {
    auto with_env = [&](std::vector<std::string> args, const std::string& tz, const std::string& datestyle) {
        args.insert(args.end(), {"--target", model_->target(), "--snapshot-dir", store_});
        return run_tool(args, {state_env().front(), {"PGTZ", tz}, {"PGDATESTYLE", datestyle}});
    };
    auto create = with_env({"snapshot", "create", "zoned"}, "America/New_York", "SQL, DMY");
    ASSERT_EQ(create.exit_code, 0) << create.all();
    scenario_dml();
    auto reset = with_env({"reset", "zoned", "--full"}, "Asia/Tokyo", "ISO, MDY");
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    expect_golden();
}

// Issue 9, item 10: a create that runs out of space (a file-size limit) must
// leave the baseline, the previous snapshot and nothing else in the store.
TEST_F(SnapshotStore, FailedCreateKeepsBaselineAndPreviousSnapshot) {
    scenario_dml();
    auto dirty = state();
    auto golden_manifest = read_file(snapshot_dir("golden") / "manifest.json");
    for (auto args : std::vector<std::vector<std::string>>{{"snapshot", "create", "second"},
                                                           {"snapshot", "create", "golden", "--replace"}}) {
        SCOPED_TRACE(args.back());
        auto run = create_with_file_limit(args);
        EXPECT_EQ(run.exit_code, 1) << run.all();
        EXPECT_NE(run.err.find("File too large"), std::string::npos) << run.err;
        EXPECT_EQ(store_entries(), std::vector<std::string>{"golden"});
        EXPECT_EQ(read_file(snapshot_dir("golden") / "manifest.json"), golden_manifest);
        EXPECT_EQ(tool({"snapshot", "verify", "golden"}).exit_code, 0);
        auto status = tool({"status"});
        EXPECT_NE(status.out.find("baseline: snapshot \"golden\""), std::string::npos) << status.all();
        EXPECT_NE(status.out.find("public.customer"), std::string::npos) << status.all();
        auto now = state();
        EXPECT_TRUE(now == dirty) << describe_differences(dirty, now);
    }
    auto reset = tool({"reset", "--json", "-"});
    ASSERT_EQ(reset.exit_code, 0) << reset.all();
    EXPECT_EQ(nlohmann::json::parse(reset.out)["mode"], "delta") << reset.out;
    expect_golden();
}

// A killed run's staging directory (81 MB in the issue) went only with the
// next create; every command that opens the store sweeps dead runs' leftovers.
TEST_F(SnapshotStore, EveryStoreCommandSweepsDeadRunsLeftovers) {
    pid_t dead = ::fork();
    if (dead == 0) ::_exit(0);
    ::waitpid(dead, nullptr, 0);
    std::string dead_pid = std::to_string(dead), alive_pid = std::to_string(::getpid());
    std::vector<std::vector<std::string>> commands = {{"snapshot", "list"},
                                                      {"status"},
                                                      {"snapshot", "verify", "golden"},
                                                      {"reset"},
                                                      {"snapshot", "create", "other"},
                                                      {"snapshot", "delete", "other"}};
    for (const auto& command : commands) {
        SCOPED_TRACE(command[0] + " " + (command.size() > 1 ? command[1] : ""));
        auto root = std::filesystem::path(store_);
        for (auto name : {".staging-x-" + dead_pid, ".trash-y-" + dead_pid, ".replaced-golden-" + dead_pid,
                          ".staging-z-" + alive_pid}) {
            std::filesystem::create_directories(root / name / "data");
            write_bytes(root / name / "data" / "00001.zst", std::string(1000, 'x'));
        }
        auto run = tool(command);
        EXPECT_EQ(run.exit_code, 0) << run.all();
        EXPECT_FALSE(std::filesystem::exists(root / (".staging-x-" + dead_pid)));
        EXPECT_FALSE(std::filesystem::exists(root / (".trash-y-" + dead_pid)));
        EXPECT_FALSE(std::filesystem::exists(root / (".replaced-golden-" + dead_pid)));
        EXPECT_TRUE(std::filesystem::exists(root / (".staging-z-" + alive_pid))) << "a live run's staging was removed";
        std::filesystem::remove_all(root / (".staging-z-" + alive_pid));
    }
    // A replace that died between its two renames: the previous snapshot comes back.
    std::filesystem::rename(snapshot_dir("golden"), snapshot_dir(".replaced-golden-" + dead_pid));
    auto list = tool({"snapshot", "list"});
    EXPECT_NE(list.out.find("golden "), std::string::npos) << list.all();
    EXPECT_EQ(tool({"snapshot", "verify", "golden"}).exit_code, 0);
}

// One damaged manifest made `snapshot list` fail and hid the others.
TEST_F(SnapshotStore, DamagedManifestIsListedAsDamagedWithoutHidingOthers) {
    std::filesystem::copy(snapshot_dir("golden"), snapshot_dir("broken"), std::filesystem::copy_options::recursive);
    write_bytes(snapshot_dir("broken") / "manifest.json", "{\"format\": \"sandboxctl-snapshot/1\", \"name\":");
    auto list = tool({"snapshot", "list"});
    EXPECT_EQ(list.exit_code, 0) << list.all();
    EXPECT_NE(list.out.find("golden "), std::string::npos) << list.all();
    EXPECT_NE(list.out.find(" tables "), std::string::npos) << list.all();
    EXPECT_NE(list.out.find("broken                   damaged: snapshot manifest"), std::string::npos) << list.all();
    EXPECT_NE(list.err.find("snapshot verify NAME"), std::string::npos) << list.all();
    auto status = tool({"status"});
    EXPECT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.out.find("broken                   damaged:"), std::string::npos) << status.all();
    EXPECT_EQ(tool({"snapshot", "verify", "broken"}).exit_code, 1);
}

// status showed no schema drift, no sequence changes, no missing baseline,
// and "tables written since the baseline: 0" without a baseline.
TEST_F(SnapshotStore, StatusShowsSchemaDriftSequencesAndMissingBaseline) {
    auto clean = tool({"status"});
    EXPECT_NE(clean.out.find("schema: as at the baseline"), std::string::npos) << clean.out;
    EXPECT_NE(clean.out.find("sequences changed since the baseline: 0"), std::string::npos) << clean.out;

    scenario_dml();
    auto status = tool({"status", "--json", "-"});
    ASSERT_EQ(status.exit_code, 0) << status.all();
    EXPECT_NE(status.err.find("schema: as at the baseline"), std::string::npos) << status.err;
    EXPECT_NE(status.err.find("billing.invoice_number"), std::string::npos) << status.err;
    auto doc = nlohmann::json::parse(status.out);
    bool invoice_number_listed = false;
    for (const auto& s : doc["sequences_changed"]) invoice_number_listed |= s["sequence"] == "billing.invoice_number";
    EXPECT_TRUE(invoice_number_listed) << status.out;
    EXPECT_EQ(doc["baseline"]["schema_changed"], false) << status.out;

    model_->sandbox_sql("SET ROLE sbx_sandbox_owner; ALTER TABLE customer ADD COLUMN added int;");
    auto drifted = tool({"status"});
    EXPECT_NE(drifted.out.find("schema: changed since the baseline"), std::string::npos) << drifted.out;

    ASSERT_EQ(tool({"snapshot", "delete", "golden"}).exit_code, 0);
    auto missing = tool({"status"});
    EXPECT_NE(missing.out.find("baseline: snapshot \"golden\""), std::string::npos) << missing.out;
    EXPECT_NE(missing.out.find("missing from the store"), std::string::npos) << missing.out;

    // A refresh drops the tracking: no baseline, nothing counted from one.
    ASSERT_EQ(tool({"refresh", "--source", model_->source()}).exit_code, 0);
    auto untracked = tool({"status", "--json", "-"});
    EXPECT_NE(untracked.err.find("baseline: none"), std::string::npos) << untracked.err;
    EXPECT_EQ(untracked.err.find("tables written since the baseline"), std::string::npos) << untracked.err;
    EXPECT_TRUE(nlohmann::json::parse(untracked.out)["dirty"].is_null()) << untracked.out;
}

// The reason of a full reset named "another snapshot" on a database that
// was never tracked.
TEST_F(SnapshotStore, FullResetReasonOnUntrackedDatabase) {
    ASSERT_EQ(tool({"refresh", "--source", model_->source()}).exit_code, 0);
    auto run = tool({"reset", "golden", "--json", "-"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(nlohmann::json::parse(run.out)["why_full"], "the database has no change tracking (never snapshotted)");
    expect_golden();
}

// refresh --snapshot printed the snapshot before the refresh report and left
// its time out of the phases.
TEST_F(SnapshotStore, RefreshSnapshotIsReportedInOrderWithItsPhase) {
    auto run = tool({"refresh", "--source", model_->source(), "--snapshot", "second"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    auto committed = run.out.find("refresh committed");
    auto created = run.out.find("snapshot \"second\" created");
    auto phases = run.out.find("Phases:");
    auto phase = run.out.find("\n  snapshot ", phases == std::string::npos ? 0 : phases);
    ASSERT_NE(created, std::string::npos) << run.all();
    ASSERT_NE(phase, std::string::npos) << run.all();
    EXPECT_LT(committed, created) << run.out;
    EXPECT_LT(created, phases) << run.out;

    auto json = tool({"refresh", "--source", model_->source(), "--snapshot", "second", "--json", "-"});
    ASSERT_EQ(json.exit_code, 0) << json.all();
    auto doc = nlohmann::json::parse(json.out);
    EXPECT_EQ(doc["phases"].back()["name"], "snapshot") << json.out;
    EXPECT_EQ(doc["snapshot"]["name"], "second") << json.out;
}

// -q prints only errors: `snapshot create --quiet` printed its summary.
TEST_F(SnapshotStore, QuietCreatePrintsNothing) {
    auto run = tool({"snapshot", "create", "hushed", "--quiet"});
    ASSERT_EQ(run.exit_code, 0) << run.all();
    EXPECT_EQ(run.out, "");
    EXPECT_EQ(manifest_json("hushed")["name"], "hushed");
}

}  // namespace
}  // namespace sandboxctl::test
