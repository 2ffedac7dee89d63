#pragma once
// The listing of one side of a sync: every entry below the root, with what
// decides whether it must be transferred (type, size, mtime, mode, symlink
// target, and a content hash with --checksum).
#include <map>
#include <string>
#include <vector>

#include "sync/location.hpp"

namespace sandboxctl::sync {

struct Entry {
    char type = 'f';  // f file, d directory, l symlink, o other (device, fifo, socket)
    long long size = 0;
    long long mtime = 0;  // whole seconds
    unsigned mode = 0;    // permission bits
    std::string target;   // symlink target
    std::string sha256;   // with --checksum, files only
};

using Tree = std::map<std::string, Entry>;  // relative path -> entry

enum class Hashing { none, sha256 };

// Lists `location`; a missing root is an empty tree (the destination is created).
Tree list_tree(const Location& location, Hashing hashing);

// The find command whose output parse_listing reads: NUL-terminated fields,
// so any file name is safe. Run from the tree's root.
inline constexpr const char* find_listing = "find . -mindepth 1 -printf '%y\\0%s\\0%T@\\0%m\\0%P\\0%l\\0'";

// Builds a tree from find -printf fields (6 per entry, see tree.cpp).
Tree parse_listing(const std::vector<std::string>& fields, const Location& location);

// Adds SHA-256 sums of the remote files (one more session).
void add_remote_hashes(const Location& location, Tree& tree);

}  // namespace sandboxctl::sync
