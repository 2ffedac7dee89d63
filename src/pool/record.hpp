#pragma once
// The pool's record in the snapshot store (".pool-NAME.json" beside the
// snapshot NAME): which sandbox the pool's snapshot comes from and the mark of
// each member. A snapshot goes only into the sandbox it was taken of, or into
// a member this record lists for it: `pool sync` marks an empty, unmarked
// member database and lists it; a database marked by anything else (another
// sandbox, another pool) is refused, as prod is (it is not empty).
// The record outlives `snapshot create --replace`: the members stay the pool's.
#include <filesystem>
#include <string>
#include <vector>

namespace sandboxctl::pool {

struct Record {
    std::string snapshot;              // the snapshot name
    std::string sandbox_id;            // the mark of the sandbox the snapshot is taken of
    std::vector<std::string> members;  // member marks

    bool lists(const std::string& mark) const;
};

std::filesystem::path record_path(const std::filesystem::path& store_root, const std::string& snapshot);
// An empty record (no member) when there is none yet; throws a failure naming
// the file when it is damaged.
Record load_record(const std::filesystem::path& store_root, const std::string& snapshot);
void save_record(const std::filesystem::path& store_root, const Record& record);

}  // namespace sandboxctl::pool
