#include "sync/sync_files.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ostream.h>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "sync/tree.hpp"

namespace sandboxctl::sync {
namespace {

namespace fs = std::filesystem;

constexpr const char* partial_prefix = ".sandboxctl-partial.";

// A relative path that stays inside the root: no absolute path, no "..",
// no empty or "." components.
bool safe_relative(const std::string& path) {
    if (path.empty() || path.front() == '/') return false;
    std::size_t start = 0;
    while (start <= path.size()) {
        auto end = path.find('/', start);
        std::string part = path.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (part.empty() || part == "." || part == "..") return false;
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return true;
}

// A symlink target that, resolved from the link's directory, stays inside the root.
bool safe_link_target(const std::string& link_path, const std::string& target) {
    if (target.empty() || target.front() == '/') return false;
    int depth = static_cast<int>(std::count(link_path.begin(), link_path.end(), '/'));
    std::size_t start = 0;
    while (start <= target.size()) {
        auto end = target.find('/', start);
        std::string part = target.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (part == "..") {
            if (--depth < 0) return false;
        } else if (!part.empty() && part != ".") {
            ++depth;
        }
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return true;
}

bool is_partial(const std::string& path) { return fs::path(path).filename().string().starts_with(partial_prefix); }

fs::path partial_name(const fs::path& final_path) {
    return final_path.parent_path() / (std::string(partial_prefix) + final_path.filename().string());
}

bool differs(const Entry& s, const Entry& d, bool checksum) {
    if (s.type != d.type) return true;
    if (s.type == 'l') return s.target != d.target;
    if (s.type != 'f') return false;
    if (checksum) return s.sha256 != d.sha256;
    return s.size != d.size || s.mtime != d.mtime;
}

// Removes a partial file left by this run if it unwinds mid-file.
class PartialFile {
public:
    explicit PartialFile(fs::path path) : path_(std::move(path)) {}
    ~PartialFile() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    void keep() { path_.clear(); }

private:
    fs::path path_;
};

struct Writer {
    const fs::path& root;
    const SyncOptions& options;
    SyncReport& report;

    void set_times(const fs::path& path, long long mtime, bool symlink) {
        timespec times[2] = {{mtime, 0}, {mtime, 0}};
        ::utimensat(AT_FDCWD, path.c_str(), times, symlink ? AT_SYMLINK_NOFOLLOW : 0);
    }

    void set_owner(const fs::path& path, bool symlink) {
        if (!options.chown) return;
        auto [uid, gid] = *options.chown;
        int rc = symlink ? ::lchown(path.c_str(), uid, gid) : ::chown(path.c_str(), uid, gid);
        if (rc != 0) throw failure("could not change the owner of \"" + path.string() + "\": " + std::strerror(errno));
    }

    void file(archive* in, archive_entry* entry, const fs::path& target) {
        fs::create_directories(target.parent_path());
        auto partial = partial_name(target);
        PartialFile guard(partial);
        int fd = ::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) throw failure("could not create \"" + partial.string() + "\": " + std::strerror(errno));
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int rc;
        while ((rc = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
            if (::pwrite(fd, block, size, offset) != static_cast<ssize_t>(size)) {
                int saved = errno;
                ::close(fd);
                throw failure("could not write \"" + partial.string() + "\": " + std::strerror(saved));
            }
            report.bytes_transferred += static_cast<long long>(size);
        }
        if (rc != ARCHIVE_EOF) {
            ::close(fd);
            throw failure(std::string("the source archive is damaged: ") + archive_error_string(in));
        }
        ::ftruncate(fd, archive_entry_size(entry));
        ::fchmod(fd, archive_entry_perm(entry) & 07777);
        ::close(fd);
        set_owner(partial, false);
        set_times(partial, archive_entry_mtime(entry), false);
        if (::rename(partial.c_str(), target.c_str()) != 0) {
            throw failure("could not rename \"" + partial.string() + "\": " + std::strerror(errno));
        }
        guard.keep();
        ++report.files_transferred;
    }

    void symlink(archive_entry* entry, const fs::path& target, const std::string& link_target) {
        fs::create_directories(target.parent_path());
        auto partial = partial_name(target);
        ::unlink(partial.c_str());
        if (::symlink(link_target.c_str(), partial.c_str()) != 0 || ::rename(partial.c_str(), target.c_str()) != 0) {
            throw failure("could not create symlink \"" + target.string() + "\": " + std::strerror(errno));
        }
        set_owner(target, true);
        set_times(target, archive_entry_mtime(entry), true);
        ++report.symlinks_transferred;
    }
};

// Runs the source's tar over `paths` and writes what it sends under `root`.
void transfer(const SyncOptions& options, const std::vector<std::string>& paths, SyncReport& report) {
    TempDir work("sandboxctl-sync");
    std::string list;
    for (const auto& p : paths) list += p + '\0';
    write_private_file(work / "paths", list);
    std::string script = "cd -- " + shell_quote(options.from.path) +
                         " && exec tar cf - --null --no-recursion --hard-dereference -T -";
    StreamingChild source({options.from.command(script), {}}, (work / "paths").string());

    std::unique_ptr<archive, int (*)(archive*)> in(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(in.get());
    if (archive_read_open_fd(in.get(), source.stdout_fd(), 1 << 16) != ARCHIVE_OK) {
        throw failure(std::string("could not read the source archive: ") + archive_error_string(in.get()));
    }
    fs::path root(options.to.path);
    Writer writer{root, options, report};
    archive_entry* entry = nullptr;
    int rc;
    while ((rc = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
        interrupt::throw_if_requested();
        std::string path = archive_entry_pathname(entry);
        if (path.starts_with("./")) path = path.substr(2);
        while (!path.empty() && path.back() == '/') path.pop_back();
        auto type = archive_entry_filetype(entry);
        const char* link = archive_entry_symlink(entry);
        std::string refusal;
        if (!safe_relative(path)) refusal = "path escapes the destination";
        else if (archive_entry_hardlink(entry)) refusal = "hard link";
        else if (type == AE_IFLNK && !safe_link_target(path, link ? link : "")) refusal = "symlink points outside the destination";
        else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) refusal = "device, fifo or socket";
        if (!refusal.empty()) {
            report.refused.emplace_back(path, refusal);
            log::warning("refused \"{}\": {}", path, refusal);
            continue;
        }
        fs::path target = root / path;
        if (type == AE_IFREG) writer.file(in.get(), entry, target);
        else if (type == AE_IFLNK) writer.symlink(entry, target, link);
        else fs::create_directories(target);
    }
    if (rc != ARCHIVE_EOF) throw failure(std::string("the source archive is damaged: ") + archive_error_string(in.get()));
    source.finish();
}

void remove_partials(const fs::path& root) {
    std::error_code ec;
    if (!fs::exists(root, ec)) return;
    std::vector<fs::path> leftovers;
    for (auto it = fs::recursive_directory_iterator(root, ec); it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (is_partial(it->path().string())) leftovers.push_back(it->path());
    }
    for (const auto& p : leftovers) fs::remove(p, ec);
}

}  // namespace

std::pair<unsigned, unsigned> parse_owner(const std::string& text) {
    auto colon = text.find(':');
    try {
        if (colon == std::string::npos) throw std::invalid_argument("no colon");
        std::size_t used = 0;
        unsigned long uid = std::stoul(text.substr(0, colon), &used);
        if (used != colon) throw std::invalid_argument("uid");
        unsigned long gid = std::stoul(text.substr(colon + 1), &used);
        if (used != text.size() - colon - 1 || uid > 4294967294UL || gid > 4294967294UL) throw std::invalid_argument("gid");
        return {static_cast<unsigned>(uid), static_cast<unsigned>(gid)};
    } catch (const std::exception&) {
        throw usage_error("invalid --chown \"" + text + "\"", "Use numeric UID:GID, for example 33:33.");
    }
}

SyncReport sync_files(const SyncOptions& options) {
    if (!options.to.is_local()) {
        throw usage_error("sync-files writes only to a local destination for now",
                          "Run sandboxctl on the destination side (for example inside the sandbox pod).");
    }
    SyncReport report;
    report.dry_run = options.dry_run;
    fs::path root(options.to.path);
    if (!options.dry_run) remove_partials(root);
    auto hashing = options.checksum ? Hashing::sha256 : Hashing::none;
    Tree source = list_tree(options.from, hashing);
    Tree destination = list_tree(options.to, hashing);

    std::vector<std::string> to_send;
    std::vector<std::pair<std::string, Entry>> attributes;  // mode/mtime fixes, applied last
    for (const auto& [path, entry] : source) {
        if (is_partial(path)) continue;
        if (!safe_relative(path)) {
            report.refused.emplace_back(path, "path escapes the destination");
            continue;
        }
        if (entry.type == 'o') {
            report.refused.emplace_back(path, "device, fifo or socket");
            continue;
        }
        if (entry.type == 'l' && !safe_link_target(path, entry.target)) {
            report.refused.emplace_back(path, "symlink points outside the destination");
            continue;
        }
        auto it = destination.find(path);
        if (it == destination.end() || differs(entry, it->second, options.checksum)) {
            if (it != destination.end() && it->second.type != entry.type && !options.dry_run) fs::remove_all(root / path);
            if (entry.type == 'd') {
                ++report.directories_created;
                if (!options.dry_run) fs::create_directories(root / path);
                attributes.emplace_back(path, entry);
            } else {
                to_send.push_back(path);
            }
        } else {
            ++report.unchanged;
            if (entry.type != 'l' && (it->second.mode != entry.mode || it->second.mtime != entry.mtime)) {
                attributes.emplace_back(path, entry);
            }
        }
    }
    if (options.remove_extra) {
        for (auto it = destination.rbegin(); it != destination.rend(); ++it) {
            if (!source.contains(it->first) && !is_partial(it->first)) report.deleted.push_back(it->first);
        }
    }
    if (options.dry_run) return report;

    if (!to_send.empty()) transfer(options, to_send, report);
    for (const auto& path : report.deleted) fs::remove_all(root / path);
    // Deepest first, so setting a directory's mtime is not undone by its children.
    std::sort(attributes.begin(), attributes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    for (const auto& [path, entry] : attributes) {
        fs::path target = root / path;
        ::chmod(target.c_str(), entry.mode);
        timespec times[2] = {{entry.mtime, 0}, {entry.mtime, 0}};
        ::utimensat(AT_FDCWD, target.c_str(), times, 0);
        if (options.chown) ::chown(target.c_str(), options.chown->first, options.chown->second);
        ++report.attributes_updated;
    }
    return report;
}

void print_text(const SyncReport& r, std::ostream& out) {
    fmt::print(out, "{}{} files ({} bytes) and {} symlinks transferred, {} directories created, {} unchanged, "
                    "{} attribute updates, {} deleted, {} refused\n",
               r.dry_run ? "dry run: would have " : "", r.files_transferred, r.bytes_transferred, r.symlinks_transferred,
               r.directories_created, r.unchanged, r.attributes_updated, r.deleted.size(), r.refused.size());
    for (const auto& [path, reason] : r.refused) fmt::print(out, "  refused {}: {}\n", path, reason);
    if (r.dry_run) {
        for (const auto& path : r.deleted) fmt::print(out, "  would delete {}\n", path);
    }
}

nlohmann::json to_json(const SyncReport& r) {
    nlohmann::json refused = nlohmann::json::array();
    for (const auto& [path, reason] : r.refused) refused.push_back({{"path", path}, {"reason", reason}});
    return {{"dry_run", r.dry_run},
            {"files_transferred", r.files_transferred},
            {"bytes_transferred", r.bytes_transferred},
            {"symlinks_transferred", r.symlinks_transferred},
            {"directories_created", r.directories_created},
            {"unchanged", r.unchanged},
            {"attributes_updated", r.attributes_updated},
            {"deleted", r.deleted},
            {"refused", refused}};
}

}  // namespace sandboxctl::sync
