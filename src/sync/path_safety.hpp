#pragma once
// Which paths a sync may touch. Two questions: does an entry named by the
// source stay inside the destination (safe_relative, safe_link_target), and
// are the two trees apart, so that a sync can neither copy a tree into
// itself nor, with --delete, remove its own source (trees_overlap,
// check_trees_apart), and which names a sync reserves for its partial
// files. All but resolve_local and check_trees_apart are pure.
#include <filesystem>
#include <string>
#include <string_view>

#include "sync/location.hpp"

namespace sandboxctl::sync {

// True when `path` is relative and stays inside the root: not absolute, no
// "..", no empty or "." components.
bool safe_relative(std::string_view path);

// True when `target`, the target of the symlink at relative `link_path`,
// resolved from the link's directory stays inside the root.
bool safe_link_target(std::string_view link_path, std::string_view target);

// Why an entry of the source is not synced, or empty when it may be:
// "path escapes the destination", "symlink points outside the destination"
// or "device, fifo or socket". `type` is 'f', 'd', 'l' or 'o' (other), as
// in a listing; `link_target` matters for 'l' only.
std::string refusal_reason(std::string_view path, char type, std::string_view link_target = {});

// A file is written under "DIR/.sandboxctl-partial.NAME" and renamed into
// place: an interrupted sync never leaves a truncated file under its final
// name, and the next run removes the partial names it finds.
bool is_partial(std::string_view path);
std::filesystem::path partial_name(const std::filesystem::path& final_path);

enum class Overlap {
    apart,
    same,                       // one tree
    destination_inside_source,  // a sync would nest a copy of the source inside itself
    source_inside_destination,  // a sync with --delete would remove the source
    unknown,                    // one path relative, the other absolute: undecidable
};

// How the trees at `source` and `destination` relate, comparing whole
// components after lexical normalization ("a/./b/", "a/x/../b" and "a/b" are
// one path; "a/b" and "a/bc" are apart). Symlinks are not looked at.
Overlap trees_overlap(const std::filesystem::path& source, const std::filesystem::path& destination);

// `path` made absolute with every symlink of its existing part resolved
// (realpath), the part that does not exist yet normalized lexically, without
// a trailing slash.
std::filesystem::path resolve_local(const std::filesystem::path& path);

// How the trees of two locations relate, as far as the location strings
// tell. Local paths are resolved (resolve_local). Two remote locations are
// compared only on the same side: the same transport and the same host and
// port (ssh, the user aside), namespace and pod (kubectl, the container
// aside) or command (exec); their paths lexically. A local and a remote
// location, or two spellings of one machine, are apart as far as this can
// tell.
Overlap locations_overlap(const Location& from, const Location& to);

// Throws a usage error (exit 2) when the trees of `from` and `to` are one,
// or one contains the other.
void check_trees_apart(const Location& from, const Location& to);

}  // namespace sandboxctl::sync
