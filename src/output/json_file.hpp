#pragma once
// Where a command's --json report goes: a file, written atomically, or "-"
// for standard output (the text report then goes to standard error).
#include <sys/types.h>

#include <filesystem>
#include <nlohmann/json.hpp>

namespace sandboxctl::output {

// Writes `document` to `path`: a temporary file renamed into place, so a
// reader never sees half a report; "-" prints it to standard output.
// `mode`: the new file's permissions (0600 for a report that grants something).
void write_json_file(const nlohmann::json& document, const std::filesystem::path& path, mode_t mode = 0644);

}  // namespace sandboxctl::output
