#include "sync/path_safety.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"

namespace sandboxctl::sync {
namespace {

namespace fs = std::filesystem;

// The components of `path` after lexical normalization, without the empty
// one a trailing slash leaves nor the "." that stands for the directory itself.
std::vector<std::string> components(const fs::path& path) {
    std::vector<std::string> out;
    for (const auto& part : path.lexically_normal()) {
        if (!part.empty() && part != ".") out.push_back(part.string());
    }
    return out;
}

template <typename Visit>
bool each_component(std::string_view path, Visit visit) {
    std::size_t start = 0;
    while (true) {
        auto end = path.find('/', start);
        if (!visit(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start)))
            return false;
        if (end == std::string_view::npos) return true;
        start = end + 1;
    }
}

std::string shown(const Location& location, const fs::path& resolved) {
    std::string text = "\"" + location.text + "\"";
    if (location.is_local() && fs::path(location.text).lexically_normal() != resolved) {
        text += " (" + resolved.string() + ")";
    }
    return text;
}

}  // namespace

bool safe_relative(std::string_view path) {
    if (path.empty() || path.front() == '/') return false;
    return each_component(path, [](std::string_view part) { return !part.empty() && part != "." && part != ".."; });
}

bool safe_link_target(std::string_view link_path, std::string_view target) {
    if (target.empty() || target.front() == '/') return false;
    int depth = static_cast<int>(std::count(link_path.begin(), link_path.end(), '/'));
    return each_component(target, [&depth](std::string_view part) {
        if (part == "..") return --depth >= 0;
        if (!part.empty() && part != ".") ++depth;
        return true;
    });
}

std::string refusal_reason(std::string_view path, char type, std::string_view link_target) {
    if (!safe_relative(path)) return "path escapes the destination";
    if (type == 'l' && !safe_link_target(path, link_target)) return "symlink points outside the destination";
    if (type != 'f' && type != 'd' && type != 'l') return "device, fifo or socket";
    return {};
}

constexpr std::string_view partial_prefix = ".sandboxctl-partial.";

bool is_partial(std::string_view path) {
    auto slash = path.rfind('/');
    return path.substr(slash == std::string_view::npos ? 0 : slash + 1).starts_with(partial_prefix);
}

fs::path partial_name(const fs::path& final_path) {
    return final_path.parent_path() / (std::string(partial_prefix) + final_path.filename().string());
}

Overlap trees_overlap(const fs::path& source, const fs::path& destination) {
    if (source.is_absolute() != destination.is_absolute()) return Overlap::unknown;
    auto from = components(source);
    auto to = components(destination);
    auto common = std::min(from.size(), to.size());
    if (!std::equal(from.begin(), from.begin() + static_cast<std::ptrdiff_t>(common), to.begin()))
        return Overlap::apart;
    if (from.size() == to.size()) return Overlap::same;
    return from.size() < to.size() ? Overlap::destination_inside_source : Overlap::source_inside_destination;
}

fs::path resolve_local(const fs::path& path) {
    std::error_code ec;
    fs::path resolved = fs::absolute(path, ec);
    if (!ec) {
        auto canonical = fs::weakly_canonical(resolved, ec);
        if (!ec) resolved = canonical;  // else (a loop, no permission): as written
    }
    resolved = resolved.lexically_normal();
    // One spelling for one directory: no trailing slash.
    if (!resolved.has_filename() && resolved.has_relative_path()) resolved = resolved.parent_path();
    return resolved;
}

Overlap locations_overlap(const Location& from, const Location& to) {
    if (from.is_local() && to.is_local()) return trees_overlap(resolve_local(from.path), resolve_local(to.path));
    if (from.kind != to.kind || from.side != to.side) return Overlap::apart;
    return trees_overlap(from.path, to.path);
}

void check_trees_apart(const Location& from, const Location& to) {
    auto overlap = locations_overlap(from, to);
    if (overlap == Overlap::apart || overlap == Overlap::unknown) return;
    fs::path from_path = from.is_local() ? resolve_local(from.path) : fs::path(from.path);
    fs::path to_path = to.is_local() ? resolve_local(to.path) : fs::path(to.path);
    std::string source = shown(from, from_path), destination = shown(to, to_path);
    std::string why =
        overlap == Overlap::same ? "source " + source + " and destination " + destination + " are the same tree"
        : overlap == Overlap::destination_inside_source ? "destination " + destination + " is inside source " + source
                                                        : "source " + source + " is inside destination " + destination;
    throw usage_error(
        "source and destination overlap: " + why,
        "A sync into its own tree nests a copy of it on every run and, with --delete, removes the source. "
        "Choose trees apart; nothing was changed.");
}

}  // namespace sandboxctl::sync
