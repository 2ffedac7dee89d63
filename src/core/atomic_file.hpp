#pragma once
#include <sys/types.h>

#include <filesystem>
#include <string>

namespace sandboxctl {

// Writes `content` to `path` through a temporary file in the same directory
// that is flushed to disk and renamed into place: readers see the old file or
// the new one, never a partial one. `what` names the file in errors.
// `mode` is the new file's (a secret's: 0600); the temporary file is made
// anew, never one left behind with other permissions.
void write_file_atomically(const std::filesystem::path& path, const std::string& content, const std::string& what,
                           mode_t mode = 0644);

}  // namespace sandboxctl
