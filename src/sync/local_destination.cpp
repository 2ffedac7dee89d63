#include "sync/local_destination.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/log.hpp"
#include "sync/path_safety.hpp"

namespace sandboxctl::sync {
namespace {

namespace fs = std::filesystem;

Error entry_error(const std::string& what, const fs::path& path, int error) {
    return failure("could not " + what + " \"" + path.string() + "\": " + std::strerror(error));
}

void check(int rc, const std::string& what, const fs::path& path) {
    if (rc != 0) throw entry_error(what, path, errno);
}

// Removes a partial file left by this run if it unwinds mid-file.
class PartialFile {
public:
    explicit PartialFile(fs::path path) : path_(std::move(path)) {}
    ~PartialFile() {
        if (!path_.empty()) ::unlink(path_.c_str());
    }
    PartialFile(const PartialFile&) = delete;
    PartialFile& operator=(const PartialFile&) = delete;
    void keep() { path_.clear(); }

private:
    fs::path path_;
};

timespec mtime_of(long long mtime) { return {static_cast<time_t>(mtime), 0}; }

class LocalDestination : public Destination {
public:
    explicit LocalDestination(const SyncOptions& options) : root_(options.to.path), options_(options) {}

    void remove_partials(const std::vector<std::string>& paths) override {
        for (const auto& p : paths) {
            std::error_code ec;
            fs::remove(root_ / p, ec);
            // Harmless when it stays: the next write of that file truncates it.
            if (ec) log::warning("could not remove \"{}\": {}", (root_ / p).string(), ec.message());
        }
    }

    void create_directory(const std::string& path) override { create_directories(root_ / path); }

    void remove(const std::string& path) override {
        apply_pending();
        std::error_code ec;
        fs::remove_all(root_ / path, ec);
        if (ec) throw entry_error("remove", root_ / path, ec.value());
        changed_ = true;
    }

    long long file(archive* in, archive_entry* entry, const std::string& path) override {
        fs::path target = root_ / path;
        create_directories(target.parent_path());
        auto partial = partial_name(target);
        PartialFile guard(partial);
        Fd fd = open_fd(partial, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
        long long written = copy_data(in, fd.get(), partial);
        check(::ftruncate(fd.get(), archive_entry_size(entry)), "truncate", partial);
        check(::fchmod(fd.get(), archive_entry_perm(entry) & 07777), "set the mode of", partial);
        if (options_.chown)
            check(::fchown(fd.get(), options_.chown->first, options_.chown->second), "change the owner of", partial);
        timespec times[2] = {mtime_of(archive_entry_mtime(entry)), mtime_of(archive_entry_mtime(entry))};
        check(::futimens(fd.get(), times), "set the times of", partial);
        fd.close(partial.string());
        guard.keep();
        pending_.push_back({partial, target});
        pending_bytes_ += written;
        if (pending_.size() >= batch_files || pending_bytes_ >= batch_bytes) apply_pending();
        return written;
    }

    void symlink(archive_entry* entry, const std::string& path, const std::string& link_target) override {
        fs::path target = root_ / path;
        create_directories(target.parent_path());
        auto partial = partial_name(target);
        if (::unlink(partial.c_str()) != 0 && errno != ENOENT) throw entry_error("remove", partial, errno);
        check(::symlink(link_target.c_str(), partial.c_str()), "create symlink", partial);
        PartialFile guard(partial);
        if (options_.chown)
            check(::lchown(partial.c_str(), options_.chown->first, options_.chown->second), "change the owner of",
                  partial);
        set_times(partial, archive_entry_mtime(entry), AT_SYMLINK_NOFOLLOW);
        check(::rename(partial.c_str(), target.c_str()), "rename", partial);
        guard.keep();
        changed_ = true;
    }

    void set_attributes(const std::string& path, const Entry& entry) override {
        apply_pending();  // a rename into a directory would change its mtime again
        fs::path target = root_ / path;
        check(::chmod(target.c_str(), entry.mode), "set the mode of", target);
        set_times(target, entry.mtime, 0);
        if (options_.chown)
            check(::chown(target.c_str(), options_.chown->first, options_.chown->second), "change the owner of",
                  target);
    }

    void finish() override {
        apply_pending();
        // The renames, deletions and attributes reach the disk before the run reports success.
        if (changed_) flush_filesystem();
    }

    ~LocalDestination() override {
        for (const auto& p : pending_) ::unlink(p.partial.c_str());
    }

private:
    // Files wait under their partial names and are renamed in batches: one
    // syncfs(2) per batch puts their data on disk before any of the new names,
    // where an fsync per file costs a journal commit each (10000 small files:
    // minutes instead of seconds).
    static constexpr std::size_t batch_files = 2000;
    static constexpr long long batch_bytes = 256LL << 20;
    struct Pending {
        fs::path partial, target;
    };

    void apply_pending() {
        if (pending_.empty()) return;
        flush_filesystem();
        for (const auto& p : pending_) check(::rename(p.partial.c_str(), p.target.c_str()), "rename", p.partial);
        pending_.clear();
        pending_bytes_ = 0;
        changed_ = true;
    }

    void flush_filesystem() const {
        Fd root = open_fd(root_, O_RDONLY | O_DIRECTORY);
        check(::syncfs(root.get()), "flush to disk", root_);
    }

    static long long copy_data(archive* in, int fd, const fs::path& partial) {
        return read_entry_data(in, [&](const void* block, std::size_t size, la_int64_t offset) {
            pwrite_all(fd, block, size, offset, partial.string());
        });
    }

    static void set_times(const fs::path& path, long long mtime, int flags) {
        timespec times[2] = {mtime_of(mtime), mtime_of(mtime)};
        check(::utimensat(AT_FDCWD, path.c_str(), times, flags), "set the times of", path);
    }

    void create_directories(const fs::path& directory) {
        std::error_code ec;
        if (fs::create_directories(directory, ec)) changed_ = true;
        if (ec) throw entry_error("create directory", directory, ec.value());
    }

    fs::path root_;
    const SyncOptions& options_;
    std::vector<Pending> pending_;  // written and closed, not yet renamed
    long long pending_bytes_ = 0;
    bool changed_ = false;  // anything to flush at the end
};

}  // namespace

std::unique_ptr<Destination> make_local_destination(const SyncOptions& options) {
    return std::make_unique<LocalDestination>(options);
}

}  // namespace sandboxctl::sync
