#pragma once
// What both sync suites use: files written into a test tree, and a location
// that reaches a local tree through the exec: transport (sh -c standing in
// for a remote shell).
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace sandboxctl::test {

// PATH with CONTENT and the permission bits MODE; its directories are created.
inline void write_file(const std::filesystem::path& path, const std::string& content, int mode = 0644) {
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << content;
    ::chmod(path.c_str(), static_cast<mode_t>(mode));
}

inline std::string via_exec(const std::filesystem::path& path) { return "exec:sh -c::" + path.string(); }

}  // namespace sandboxctl::test
