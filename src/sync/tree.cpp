#include "sync/tree.hpp"

#include <sys/stat.h>

#include <filesystem>

#include "core/checksum.hpp"
#include "core/error.hpp"
#include "core/number.hpp"
#include "core/process.hpp"

namespace sandboxctl::sync {
namespace {

char type_of(mode_t mode) {
    if (S_ISREG(mode)) return 'f';
    if (S_ISDIR(mode)) return 'd';
    if (S_ISLNK(mode)) return 'l';
    return 'o';
}

Tree list_local(const Location& location, Hashing hashing) {
    Tree tree;
    std::filesystem::path root(location.path);
    std::error_code ec;
    if (!std::filesystem::exists(root, ec)) return tree;
    // Entries come as ROOT/relative: cutting the prefix is much cheaper than
    // path::lexically_relative, which splits every path into components.
    std::string prefix = root.native();
    if (!prefix.ends_with('/')) prefix += '/';
    for (auto it = std::filesystem::recursive_directory_iterator(root, std::filesystem::directory_options::none, ec);
         it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
        if (ec) throw failure("could not list \"" + location.path + "\": " + ec.message());
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        Entry e{type_of(st.st_mode),
                static_cast<long long>(st.st_size),
                static_cast<long long>(st.st_mtim.tv_sec),
                static_cast<unsigned>(st.st_mode & 07777),
                {},
                {}};
        if (e.type == 'l') e.target = std::filesystem::read_symlink(it->path(), ec).string();
        if (e.type == 'f' && hashing == Hashing::sha256) e.sha256 = sha256_of_file(it->path());
        if (e.type != 'd') e.size = e.type == 'f' ? e.size : 0;
        tree.emplace(it->path().native().substr(prefix.size()), std::move(e));
    }
    return tree;
}

// A missing root lists as an empty tree (a destination not created yet).
std::string listing_script(const std::string& root) {
    return "cd -- " + shell_quote(root) + " 2>/dev/null || exit 0; " + find_listing;
}
constexpr const char* remote_hashing = "cd -- %s && find . -type f -exec sha256sum -z -- {} +";

std::string format_script(const char* pattern, const std::string& path) {
    std::string quoted = shell_quote(path);
    std::string out;
    for (const char* p = pattern; *p; ++p) {
        if (p[0] == '%' && p[1] == 's') {
            out += quoted;
            ++p;
        } else if (p[0] == '%' && p[1] == '%') {
            out += '%';
            ++p;
        } else {
            out += *p;
        }
    }
    return out;
}

Tree list_remote(const Location& location, Hashing hashing) {
    auto result = run_process({location.command(listing_script(location.path)), {}});
    if (!result.succeeded()) {
        throw failure("could not list " + location.text + ": " + result.err,
                      "The remote side needs a POSIX shell and GNU find (-printf).");
    }
    std::vector<std::string> fields;
    std::size_t start = 0;
    for (std::size_t i = 0; i < result.out.size(); ++i) {
        if (result.out[i] == '\0') {
            fields.emplace_back(result.out, start, i - start);
            start = i + 1;
        }
    }
    Tree tree = parse_listing(fields, location);
    if (hashing == Hashing::sha256) add_remote_hashes(location, tree);
    return tree;
}

}  // namespace

void add_remote_hashes(const Location& location, Tree& tree) {
    {
        auto sums = run_process({location.command(format_script(remote_hashing, location.path)), {}});
        if (!sums.succeeded()) throw failure("could not hash the files of " + location.text + ": " + sums.err);
        std::size_t pos = 0;
        while (pos < sums.out.size()) {
            auto end = sums.out.find('\0', pos);
            if (end == std::string::npos) break;
            std::string line = sums.out.substr(pos, end - pos);  // "<hash>  ./path"
            pos = end + 1;
            if (line.size() < 67) continue;
            std::string path = line.substr(66);
            if (path.starts_with("./")) path = path.substr(2);
            if (auto it = tree.find(path); it != tree.end()) it->second.sha256 = line.substr(0, 64);
        }
    }
}

namespace {

// One numeric field of a listing entry, or a failure naming the location and the entry.
long long listing_number(const std::string& text, int base, const char* field, const std::string& path,
                         const Location& location) {
    // find prints %T@ as "SECONDS.FRACTION": the whole seconds are enough.
    auto value = to_integer(std::string_view(text).substr(0, text.find('.')), base);
    if (!value) {
        throw failure("could not parse the listing of " + location.text + ": invalid " + field + " \"" + text +
                          "\" for \"" + path + "\"",
                      "The listing comes from find -printf on that side; check that its find is GNU-compatible.");
    }
    return *value;
}

}  // namespace

Tree parse_listing(const std::vector<std::string>& fields, const Location& location) {
    if (fields.size() % 6 != 0) throw failure("could not parse the listing of " + location.text);
    Tree tree;
    for (std::size_t i = 0; i < fields.size(); i += 6) {
        char type = fields[i].empty() ? 'o' : fields[i][0];
        const std::string& path = fields[i + 4];
        Entry e{type == 'f' || type == 'd' || type == 'l' ? type : 'o',
                type == 'f' ? listing_number(fields[i + 1], 10, "size", path, location) : 0,
                listing_number(fields[i + 2], 10, "modification time", path, location),
                static_cast<unsigned>(listing_number(fields[i + 3], 8, "mode", path, location)),
                fields[i + 5],
                {}};
        tree[path] = e;
    }
    return tree;
}

Tree list_tree(const Location& location, Hashing hashing) {
    return location.is_local() ? list_local(location, hashing) : list_remote(location, hashing);
}

}  // namespace sandboxctl::sync
