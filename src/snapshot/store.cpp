#include "snapshot/store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <regex>
#include <string_view>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/process.hpp"

namespace sandboxctl::snapshot {
namespace {

constexpr std::array<std::string_view, 3> leftover_kinds = {".staging-", ".trash-", ".replaced-"};

// For a sweep or a rollback, which must not fail on a flush.
void sync_directory_best_effort(const std::filesystem::path& dir) {
    try {
        fsync_directory(dir);
    } catch (const Error&) {}
}

std::string pid_suffix() { return "-" + std::to_string(::getpid()); }

// The pid in ".KIND-NAME-PID", or 0.
pid_t owner_pid(const std::string& entry) {
    auto dash = entry.rfind('-');
    if (dash == std::string::npos) return 0;
    return parse_pid(std::string_view(entry).substr(dash + 1));
}

void rename_or_throw(const std::filesystem::path& from, const std::filesystem::path& to) {
    if (::rename(from.c_str(), to.c_str()) != 0) {
        throw failure("could not rename \"" + from.string() + "\" to \"" + to.string() + "\": " + std::strerror(errno));
    }
}

// Swaps two directories in one step; false where the filesystem cannot.
bool exchange(const std::filesystem::path& a, const std::filesystem::path& b) {
    if (::renameat2(AT_FDCWD, a.c_str(), AT_FDCWD, b.c_str(), RENAME_EXCHANGE) == 0) return true;
    if (errno == EINVAL || errno == ENOSYS || errno == ENOTSUP) return false;
    throw failure("could not exchange \"" + a.string() + "\" and \"" + b.string() + "\": " + std::strerror(errno));
}

}  // namespace

namespace {

// Removes the hidden directories of runs whose process is gone: staging
// (".staging-NAME-PID"), deleted (".trash-NAME-PID") and replaced
// (".replaced-NAME-PID", put back when NAME is missing: the run died between
// its two renames). A run counts as alive by process_alive (core/process.hpp),
// the rule the temporary directories' sweeper uses too.
void sweep_dead_runs(const std::filesystem::path& root) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        std::string name = entry.path().filename();
        auto kind = std::find_if(leftover_kinds.begin(), leftover_kinds.end(),
                                 [&](std::string_view k) { return name.starts_with(k); });
        pid_t pid = owner_pid(name);
        if (kind == leftover_kinds.end() || pid <= 0 || process_alive(pid)) continue;
        std::error_code ignored;
        if (*kind == ".replaced-") {
            auto snapshot = root / name.substr(kind->size(), name.rfind('-') - kind->size());
            if (!std::filesystem::exists(snapshot, ignored)) {
                std::filesystem::rename(entry.path(), snapshot, ignored);
                sync_directory_best_effort(root);
                continue;
            }
        }
        std::filesystem::remove_all(entry.path(), ignored);
    }
}

}  // namespace

Store::Store(std::filesystem::path root) : root_(std::move(root)) { sweep_dead_runs(root_); }

void Store::validate_name(const std::string& name) {
    static const std::regex valid("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
    if (!std::regex_match(name, valid)) {
        throw usage_error("invalid snapshot name \"" + name + "\"",
                          "Use letters, digits, '.', '_' and '-' (not first), at most 63 characters.");
    }
}

std::filesystem::path Store::path_of(const std::string& name) const {
    validate_name(name);
    return root_ / name;
}

bool Store::exists(const std::string& name) const { return std::filesystem::exists(path_of(name) / "manifest.json"); }

std::vector<std::string> Store::list() const {
    std::vector<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(root_, ec);
    if (ec == std::errc::no_such_file_or_directory) return names;
    if (ec) throw failure("could not read snapshot store \"" + root_.string() + "\": " + ec.message());
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename();
        if (name.starts_with(".") || !std::filesystem::exists(it->path() / "manifest.json")) continue;
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::vector<ListedSnapshot> Store::list_manifests() const {
    std::vector<ListedSnapshot> listed;
    for (const auto& name : list()) {
        try {
            listed.push_back({name, load_manifest(root_ / name), ""});
        } catch (const Error& e) {
            listed.push_back({name, std::nullopt, e.what()});
        }
    }
    return listed;
}

void Store::remove(const std::string& name) const {
    auto path = path_of(name);
    if (!exists(name)) {
        throw usage_error("snapshot \"" + name + "\" does not exist in \"" + root_.string() + "\"",
                          "List the snapshots with \"sandboxctl snapshot list\".");
    }
    // Rename first: a half-removed snapshot must not look complete.
    auto trash = root_ / (".trash-" + name + pid_suffix());
    rename_or_throw(path, trash);
    fsync_directory(root_);
    std::filesystem::remove_all(trash);
}

Staging::Staging(const Store& store, const std::string& name) : store_(store), name_(name) {
    Store::validate_name(name);
    std::filesystem::create_directories(store.root());
    path_ = store.root() / (".staging-" + name + pid_suffix());
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_ / "data");
}

Staging::~Staging() {
    if (finished_) return;
    if (published_) {
        undo_publish();
        return;
    }
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void Staging::publish(bool replace) {
    auto target = store_.root() / name_;
    fsync_directory(path_ / "data");
    fsync_directory(path_);
    bool replacing = std::filesystem::exists(target);
    if (replacing && !replace) {
        throw usage_error("snapshot \"" + name_ + "\" already exists",
                          "Delete it first (\"sandboxctl snapshot delete " + name_ + "\") or pass --replace.");
    }
    if (!replacing) {
        // rename(2) refuses a non-empty target: a snapshot created meanwhile is never overwritten.
        rename_or_throw(path_, target);
    } else if (exchange(path_, target)) {
        previous_ = path_;
    } else {
        // Two renames; a run that dies between them is undone by sweep_dead_runs.
        previous_ = store_.root() / (".replaced-" + name_ + pid_suffix());
        rename_or_throw(target, previous_);
        try {
            rename_or_throw(path_, target);
        } catch (...) {
            std::error_code ignored;
            std::filesystem::rename(previous_, target, ignored);
            previous_.clear();
            throw;
        }
    }
    published_ = true;
    fsync_directory(store_.root());
}

void Staging::finish() {
    finished_ = true;
    std::error_code ignored;
    if (!previous_.empty()) std::filesystem::remove_all(previous_, ignored);
}

void Staging::undo_publish() noexcept {
    auto target = store_.root() / name_;
    std::error_code ignored;
    if (previous_ == path_) {
        // Exchanged: exchange back, then the new one (now at path_) goes.
        try {
            if (!exchange(path_, target)) return;
        } catch (const Error&) {
            return;
        }
    } else {
        std::filesystem::rename(target, path_, ignored);
        if (ignored) return;
        if (!previous_.empty()) std::filesystem::rename(previous_, target, ignored);
    }
    sync_directory_best_effort(store_.root());
    std::filesystem::remove_all(path_, ignored);
}

}  // namespace sandboxctl::snapshot
