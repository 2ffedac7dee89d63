#include "sync/sync_files.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <future>
#include <optional>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "output/progress.hpp"
#include "sync/path_safety.hpp"
#include "sync/remote_session.hpp"
#include "sync/tree.hpp"

namespace sandboxctl::sync {
namespace {

namespace fs = std::filesystem;

constexpr const char* partial_prefix = ".sandboxctl-partial.";

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

// Where transferred entries go, and how the destination is changed.
class Destination {
public:
    virtual ~Destination() = default;
    // Removes partial files a crashed run left (found by the listing).
    virtual void remove_partials(const std::vector<std::string>& paths) = 0;
    virtual void create_directory(const std::string& path) = 0;
    virtual void remove(const std::string& path) = 0;
    virtual void file(archive* in, archive_entry* entry, const std::string& path) = 0;
    virtual void symlink(archive_entry* entry, const std::string& path, const std::string& target) = 0;
    virtual void set_attributes(const std::string& path, const Entry& entry) = 0;
    // Applies the changes asked for so far (before the data stream starts).
    virtual void flush() {}
    // Completes the transfer: partial names become final names, changes are applied.
    virtual void finish() = 0;
};

class LocalDestination : public Destination {
public:
    LocalDestination(const SyncOptions& options, SyncReport& report)
        : root_(options.to.path), options_(options), report_(report) {}

    void remove_partials(const std::vector<std::string>& paths) override {
        std::error_code ec;
        for (const auto& p : paths) fs::remove(root_ / p, ec);
    }
    void create_directory(const std::string& path) override { fs::create_directories(root_ / path); }
    void remove(const std::string& path) override { fs::remove_all(root_ / path); }

    void file(archive* in, archive_entry* entry, const std::string& path) override {
        fs::path target = root_ / path;
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
            report_.bytes_transferred += static_cast<long long>(size);
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
        ++report_.files_transferred;
    }

    void symlink(archive_entry* entry, const std::string& path, const std::string& link_target) override {
        fs::path target = root_ / path;
        fs::create_directories(target.parent_path());
        auto partial = partial_name(target);
        ::unlink(partial.c_str());
        if (::symlink(link_target.c_str(), partial.c_str()) != 0 || ::rename(partial.c_str(), target.c_str()) != 0) {
            throw failure("could not create symlink \"" + target.string() + "\": " + std::strerror(errno));
        }
        set_owner(target, true);
        set_times(target, archive_entry_mtime(entry), true);
        ++report_.symlinks_transferred;
    }

    void set_attributes(const std::string& path, const Entry& entry) override {
        fs::path target = root_ / path;
        ::chmod(target.c_str(), entry.mode);
        set_times(target, entry.mtime, false);
        set_owner(target, false);
    }

    void finish() override {}

private:
    void set_times(const fs::path& path, long long mtime, bool symlink) {
        timespec times[2] = {{mtime, 0}, {mtime, 0}};
        ::utimensat(AT_FDCWD, path.c_str(), times, symlink ? AT_SYMLINK_NOFOLLOW : 0);
    }

    void set_owner(const fs::path& path, bool symlink) {
        if (!options_.chown) return;
        auto [uid, gid] = *options_.chown;
        int rc = symlink ? ::lchown(path.c_str(), uid, gid) : ::chown(path.c_str(), uid, gid);
        if (rc != 0) throw failure("could not change the owner of \"" + path.string() + "\": " + std::strerror(errno));
    }

    fs::path root_;
    const SyncOptions& options_;
    SyncReport& report_;
};

// A destination behind a remote shell: entries are re-archived under their
// partial names and unpacked by the remote tar; a script run afterwards
// renames them into place and applies deletions and attributes.
class RemoteDestination : public Destination {
public:
    RemoteDestination(const SyncOptions& options, SyncReport& report, const TempDir& work)
        : options_(options), report_(report), work_(work), writer_(archive_write_new(), archive_write_free) {}

    void remove_partials(const std::vector<std::string>& paths) override {
        for (const auto& p : paths) script_ += "rm -f -- " + quoted(p) + "\n";
    }
    void create_directory(const std::string& path) override { script_ += "mkdir -p -- " + quoted(path) + "\n"; }
    void remove(const std::string& path) override { script_ += "rm -rf -- " + quoted(path) + "\n"; }

    void file(archive* in, archive_entry* entry, const std::string& path) override {
        start_stream();
        archive_entry* copy = renamed(entry, path);
        archive_write_header(writer_.get(), copy);
        const void* block = nullptr;
        size_t size = 0;
        la_int64_t offset = 0;
        int rc;
        while ((rc = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
            if (archive_write_data(writer_.get(), block, size) < 0) {
                throw failure(std::string("could not send to ") + options_.to.text + ": " +
                              archive_error_string(writer_.get()));
            }
            report_.bytes_transferred += static_cast<long long>(size);
        }
        archive_entry_free(copy);
        if (rc != ARCHIVE_EOF) throw failure(std::string("the source archive is damaged: ") + archive_error_string(in));
        finish_rename(path);
        ++report_.files_transferred;
    }

    void symlink(archive_entry* entry, const std::string& path, const std::string&) override {
        start_stream();
        archive_entry* copy = renamed(entry, path);
        archive_write_header(writer_.get(), copy);
        archive_entry_free(copy);
        finish_rename(path);
        ++report_.symlinks_transferred;
    }

    void set_attributes(const std::string& path, const Entry& entry) override {
        script_ += fmt::format("chmod {:o} -- {}\ntouch -h -t {} -- {}\n", entry.mode, quoted(path),
                               touch_time(entry.mtime), quoted(path));
        if (options_.chown)
            script_ +=
                fmt::format("chown -h {}:{} -- {}\n", options_.chown->first, options_.chown->second, quoted(path));
    }

    void flush() override {
        if (!script_.empty()) run_script(script_);
        script_.clear();
    }

    void finish() override {
        if (receiver_) {
            archive_write_close(writer_.get());
            receiver_->finish();
            receiver_.reset();
        }
        if (!script_.empty()) run_script(script_);
    }

private:
    static std::string quoted(const std::string& path) { return shell_quote("./" + path); }

    static std::string touch_time(long long mtime) {
        std::time_t t = static_cast<std::time_t>(mtime);
        char buffer[32];
        std::strftime(buffer, sizeof buffer, "%Y%m%d%H%M.%S", std::gmtime(&t));
        return buffer;
    }

    archive_entry* renamed(archive_entry* entry, const std::string& path) {
        archive_entry* copy = archive_entry_clone(entry);
        archive_entry_set_pathname(copy, partial_name(path).string().c_str());
        if (options_.chown) {
            archive_entry_set_uid(copy, options_.chown->first);
            archive_entry_set_gid(copy, options_.chown->second);
        }
        return copy;
    }

    void finish_rename(const std::string& path) {
        script_ += "mv -f -- " + quoted(partial_name(path).string()) + " " + quoted(path) + "\n";
    }

    void start_stream() {
        if (receiver_) return;
        std::string owner = options_.chown ? "--same-owner --numeric-owner" : "--no-same-owner";
        std::string script = "mkdir -p -- " + shell_quote(options_.to.path) + " && cd -- " +
                             shell_quote(options_.to.path) + " && exec tar xpf - " + owner;
        receiver_ = std::make_unique<StreamingChild>(ProcessSpec{options_.to.command(script), {}}, "",
                                                     StreamingChild::Stream::write_stdin);
        archive_write_set_format_pax_restricted(writer_.get());
        if (archive_write_open_fd(writer_.get(), receiver_->stdin_fd()) != ARCHIVE_OK) {
            throw failure(std::string("could not send to ") + options_.to.text + ": " +
                          archive_error_string(writer_.get()));
        }
    }

    void run_script(const std::string& body) {
        auto file = work_ / "remote-script.sh";
        std::filesystem::remove(file);
        write_private_file(file, "set -e\nexport TZ=UTC0\n" + body);
        std::string script = "mkdir -p -- " + shell_quote(options_.to.path) + " && cd -- " +
                             shell_quote(options_.to.path) + " && exec sh -s";
        StreamingChild child({options_.to.command(script), {}}, file.string());
        char buffer[4096];
        while (::read(child.stdout_fd(), buffer, sizeof buffer) > 0) {}
        child.finish();
    }

    const SyncOptions& options_;
    SyncReport& report_;
    const TempDir& work_;
    std::unique_ptr<archive, int (*)(archive*)> writer_;
    std::unique_ptr<StreamingChild> receiver_;
    std::string script_;
};

// Runs the source's tar over `paths` and writes what it sends under `root`.
// A local source: tar over the requested paths, the list given on stdin.
std::unique_ptr<StreamingChild> start_local_tar(const SyncOptions& options, const std::vector<std::string>& paths,
                                                const TempDir& work) {
    std::string list;
    for (const auto& p : paths) list += p + '\0';
    std::filesystem::remove(work / "paths");
    write_private_file(work / "paths", list);
    std::string script =
        "cd -- " + shell_quote(options.from.path) + " && exec tar cf - --null --no-recursion --hard-dereference -T -";
    return std::make_unique<StreamingChild>(ProcessSpec{options.from.command(script), {}}, (work / "paths").string());
}

// The progress line: entries and bytes done of those planned.
void show_progress(output::ProgressLine& line, std::size_t done, std::size_t entries, long long bytes_done,
                   long long bytes) {
    line.show([&] {
        return fmt::format("syncing {}/{} entries, {} of {}", done, entries,
                           format_bytes(static_cast<unsigned long long>(bytes_done)),
                           format_bytes(static_cast<unsigned long long>(bytes)));
    });
}

void transfer(const SyncOptions& options, const std::vector<std::string>& paths, SyncReport& report,
              Destination& destination, const TempDir& work, long long planned_bytes, RemoteSession* session) {
    output::ProgressLine progress;
    std::size_t done = 0;
    std::unique_ptr<archive, int (*)(archive*)> in(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(in.get());
    std::unique_ptr<StreamingChild> local_source;
    if (session) {
        session->request(paths, in.get());
    } else {
        local_source = start_local_tar(options, paths, work);
        if (archive_read_open_fd(in.get(), local_source->stdout_fd(), 1 << 20) != ARCHIVE_OK) {
            throw failure(std::string("could not read the source archive: ") + archive_error_string(in.get()));
        }
    }
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
        if (!safe_relative(path))
            refusal = "path escapes the destination";
        else if (archive_entry_hardlink(entry))
            refusal = "hard link";
        else if (type == AE_IFLNK && !safe_link_target(path, link ? link : ""))
            refusal = "symlink points outside the destination";
        else if (type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK)
            refusal = "device, fifo or socket";
        if (!refusal.empty()) {
            report.refused.emplace_back(path, refusal);
            log::warning("refused \"{}\": {}", path, refusal);
            continue;
        }
        if (type == AE_IFREG)
            destination.file(in.get(), entry, path);
        else if (type == AE_IFLNK)
            destination.symlink(entry, path, link);
        else
            destination.create_directory(path);
        show_progress(progress, ++done, paths.size(), report.bytes_transferred, planned_bytes);
    }
    if (rc != ARCHIVE_EOF)
        throw failure(std::string("the source archive is damaged: ") + archive_error_string(in.get()));
    if (session)
        session->finish();
    else
        local_source->finish();
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
        if (used != text.size() - colon - 1 || uid > 4294967294UL || gid > 4294967294UL)
            throw std::invalid_argument("gid");
        return {static_cast<unsigned>(uid), static_cast<unsigned>(gid)};
    } catch (const std::exception&) {
        throw usage_error("invalid --chown \"" + text + "\"", "Use numeric UID:GID, for example 33:33.");
    }
}

SyncPlan plan_sync(const Tree& source, const Tree& existing, bool checksum, bool remove_extra) {
    SyncPlan plan;
    for (const auto& [path, entry] : source) {
        if (is_partial(path)) continue;
        if (!safe_relative(path)) {
            plan.refused.emplace_back(path, "path escapes the destination");
            continue;
        }
        if (entry.type == 'o') {
            plan.refused.emplace_back(path, "device, fifo or socket");
            continue;
        }
        if (entry.type == 'l' && !safe_link_target(path, entry.target)) {
            plan.refused.emplace_back(path, "symlink points outside the destination");
            continue;
        }
        auto it = existing.find(path);
        if (it == existing.end() || differs(entry, it->second, checksum)) {
            if (it != existing.end() && it->second.type != entry.type) plan.replaced.push_back(path);
            if (entry.type == 'd') {
                plan.created_directories.push_back(path);
                plan.attributes.emplace_back(path, entry);
            } else {
                plan.to_send.push_back(path);
                if (entry.type == 'l') {
                    ++plan.symlinks;
                } else {
                    ++plan.files;
                    plan.bytes += entry.size;
                }
            }
        } else {
            ++plan.unchanged;
            if (entry.type != 'l' && (it->second.mode != entry.mode || it->second.mtime != entry.mtime)) {
                plan.attributes.emplace_back(path, entry);
            }
        }
    }
    if (remove_extra) {
        for (auto it = existing.rbegin(); it != existing.rend(); ++it) {
            if (!source.contains(it->first) && !is_partial(it->first)) plan.deleted.push_back(it->first);
        }
    }
    // Deepest first, so setting a directory's mtime is not undone by its children.
    std::sort(plan.attributes.begin(), plan.attributes.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    return plan;
}

SyncReport predicted_report(const SyncPlan& plan) {
    SyncReport report;
    report.dry_run = true;
    report.files_transferred = plan.files;
    report.bytes_transferred = plan.bytes;
    report.symlinks_transferred = plan.symlinks;
    report.directories_created = static_cast<long long>(plan.created_directories.size());
    report.unchanged = plan.unchanged;
    report.attributes_updated = static_cast<long long>(plan.attributes.size());
    report.deleted = plan.deleted;
    report.refused = plan.refused;
    return report;
}

SyncReport sync_files(const SyncOptions& given) {
    auto started = std::chrono::steady_clock::now();
    check_trees_apart(given.from, given.to);
    // A mistyped source must not look like an empty tree: with --delete that
    // would empty the destination.
    if (given.from.is_local() && !std::filesystem::is_directory(given.from.path)) {
        throw failure("could not read source \"" + given.from.path + "\": no such directory",
                      "Check --from (or files.pair.from in the config); nothing was changed.");
    }
    TempDir work("sandboxctl-sync");
    SyncOptions options = given;
    // A source needs a second session only to hash its files.
    std::optional<SshMultiplexing> from_link;
    if (options.checksum) from_link.emplace(options.from, work.path().string());
    SshMultiplexing to_link(options.to, work.path().string());
    auto hashing = options.checksum ? Hashing::sha256 : Hashing::none;
    // A remote source is listed and read in one session (one handshake).
    std::unique_ptr<RemoteSession> session;
    if (!options.from.is_local()) session = std::make_unique<RemoteSession>(options.from);
    // Both sides are listed at once: each listing waits on its own disk or link.
    auto source_listing = std::async(std::launch::async, [&] {
        if (!session) return list_tree(options.from, hashing);
        Tree tree = session->listing();
        if (hashing == Hashing::sha256) add_remote_hashes(options.from, tree);
        return tree;
    });
    Tree existing = list_tree(options.to, hashing);
    Tree source = source_listing.get();
    log::detail("listed {} source and {} destination entries in {}", source.size(), existing.size(),
                format_duration(std::chrono::steady_clock::now() - started));
    auto plan = plan_sync(source, existing, options.checksum, options.remove_extra);
    // A dry run reports the plan; the remote session ends unused.
    if (options.dry_run) return predicted_report(plan);

    SyncReport report;
    report.unchanged = plan.unchanged;
    report.directories_created = static_cast<long long>(plan.created_directories.size());
    report.deleted = plan.deleted;
    report.refused = plan.refused;
    std::unique_ptr<Destination> destination;
    if (options.to.is_local())
        destination = std::make_unique<LocalDestination>(options, report);
    else
        destination = std::make_unique<RemoteDestination>(options, report, work);
    std::vector<std::string> partials;
    for (const auto& [path, entry] : existing) {
        if (is_partial(path)) partials.push_back(path);
    }
    destination->remove_partials(partials);
    for (const auto& path : plan.replaced) destination->remove(path);
    for (const auto& path : plan.created_directories) destination->create_directory(path);
    destination->flush();
    // A session is always ended through transfer (possibly with nothing to send).
    auto transfer_started = std::chrono::steady_clock::now();
    if (!plan.to_send.empty() || session) {
        transfer(options, plan.to_send, report, *destination, work, plan.bytes, session.get());
    }
    log::detail("transferred {} entries ({} bytes) in {}", plan.to_send.size(), report.bytes_transferred,
                format_duration(std::chrono::steady_clock::now() - transfer_started));
    for (const auto& path : report.deleted) destination->remove(path);
    for (const auto& [path, entry] : plan.attributes) {
        destination->set_attributes(path, entry);
        ++report.attributes_updated;
    }
    destination->finish();
    return report;
}

void check_configured_pairs(const config::Settings& settings, std::string_view command) {
    configured_pairs(settings, false, command);
}

std::vector<SyncOptions> configured_pairs(const config::Settings& settings, bool dry_run, std::string_view command) {
    if (settings.file_pairs.empty()) {
        throw usage_error(std::string(command) + ": no [[files.pair]] in the configuration",
                          "Add a [[files.pair]] table with from and to (one per tree) to the config file (-c FILE).");
    }
    std::vector<SyncOptions> pairs;
    for (std::size_t i = 0; i < settings.file_pairs.size(); ++i) {
        const auto& pair = settings.file_pairs[i];
        try {
            SyncOptions options;
            options.from = parse_location(pair.from, "files.pair.from");
            options.to = parse_location(pair.to, "files.pair.to");
            options.remove_extra = settings.files_delete;
            options.checksum = settings.files_checksum;
            options.dry_run = dry_run;
            if (!settings.files_chown.empty()) options.chown = parse_owner(settings.files_chown);
            check_trees_apart(options.from, options.to);
            pairs.push_back(std::move(options));
        } catch (const Error&) {
            rethrow_with_context(fmt::format("[[files.pair]] #{} of the configuration", i + 1));
        }
    }
    return pairs;
}

std::vector<SyncReport> sync_configured_pairs(const config::Settings& settings, bool dry_run,
                                              std::string_view command) {
    std::vector<SyncReport> reports;
    for (const auto& options : configured_pairs(settings, dry_run, command)) {
        log::info("syncing files {} -> {}", options.from.text, options.to.text);
        reports.push_back(sync_files(options));
    }
    return reports;
}

void print_text(const SyncReport& r, std::ostream& out) {
    if (r.dry_run) {
        fmt::print(out,
                   "dry run: would transfer {} files ({} bytes) and {} symlinks, create {} directories, update {} "
                   "attributes and delete {} entries; {} unchanged, {} refused\n",
                   r.files_transferred, r.bytes_transferred, r.symlinks_transferred, r.directories_created,
                   r.attributes_updated, r.deleted.size(), r.unchanged, r.refused.size());
    } else {
        fmt::print(out,
                   "{} files ({} bytes) and {} symlinks transferred, {} directories created, {} unchanged, "
                   "{} attribute updates, {} deleted, {} refused\n",
                   r.files_transferred, r.bytes_transferred, r.symlinks_transferred, r.directories_created, r.unchanged,
                   r.attributes_updated, r.deleted.size(), r.refused.size());
    }
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
