#pragma once
// Integrity of a snapshot's files. `snapshot verify` re-hashes every file and
// decodes every text-format data file against the manifest (rows, columns);
// reset uses the quick check: files whose size and modification time match
// what was recorded when they were last hashed are trusted, others re-hashed.
#include <string>
#include <vector>

#include "snapshot/manifest.hpp"

namespace sandboxctl::snapshot {

struct FileProblem {
    std::string file;
    std::string problem;
};

enum class Thoroughness { quick, full };

std::vector<FileProblem> check_files(const std::filesystem::path& directory, const Manifest& manifest,
                                     Thoroughness thoroughness);

// Records size and mtime of every file of a freshly written snapshot.
void record_file_stats(const std::filesystem::path& directory, const Manifest& manifest);

// Throws a failure listing the problems, if any.
void require_intact(const std::string& name, const std::vector<FileProblem>& problems);

}  // namespace sandboxctl::snapshot
