#include "snapshot/store.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <regex>

#include "core/error.hpp"

namespace sandboxctl::snapshot {
namespace {

void sync_directory(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

// Staging directories of runs that died (their pid is gone) are removed.
void remove_abandoned_staging(const std::filesystem::path& root) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root, ec)) {
        std::string name = entry.path().filename();
        if (!name.starts_with(".staging-")) continue;
        auto dash = name.rfind('-');
        int pid = std::atoi(name.c_str() + dash + 1);
        if (pid > 0 && ::kill(pid, 0) != 0) std::filesystem::remove_all(entry.path(), ec);
    }
}

}  // namespace

Store::Store(std::filesystem::path root) : root_(std::move(root)) {}

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

bool Store::exists(const std::string& name) const {
    return std::filesystem::exists(path_of(name) / "manifest.json");
}

std::vector<std::string> Store::list() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(root_, ec)) {
        std::string name = entry.path().filename();
        if (name.starts_with(".") || !std::filesystem::exists(entry.path() / "manifest.json")) continue;
        names.push_back(name);
    }
    std::sort(names.begin(), names.end());
    return names;
}

void Store::remove(const std::string& name) const {
    auto path = path_of(name);
    if (!exists(name)) {
        throw usage_error("snapshot \"" + name + "\" does not exist in \"" + root_.string() + "\"",
                          "List the snapshots with \"sandboxctl snapshot list\".");
    }
    // Rename first: a half-removed snapshot must not look complete.
    auto trash = root_ / (".trash-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::rename(path, trash);
    sync_directory(root_);
    std::filesystem::remove_all(trash);
}

Staging::Staging(const Store& store, const std::string& name) : store_(store), name_(name) {
    Store::validate_name(name);
    std::filesystem::create_directories(store.root());
    remove_abandoned_staging(store.root());
    path_ = store.root() / (".staging-" + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_ / "data");
}

Staging::~Staging() {
    if (committed_) return;
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

void Staging::commit(bool replace) {
    auto final_path = store_.root() / name_;
    sync_directory(path_ / "data");
    sync_directory(path_);
    if (std::filesystem::exists(final_path)) {
        if (!replace) {
            throw usage_error("snapshot \"" + name_ + "\" already exists",
                              "Delete it first (\"sandboxctl snapshot delete " + name_ + "\") or pass --replace.");
        }
        auto trash = store_.root() / (".trash-" + name_ + "-" + std::to_string(::getpid()));
        std::filesystem::rename(final_path, trash);
        std::filesystem::rename(path_, final_path);
        committed_ = true;
        sync_directory(store_.root());
        std::filesystem::remove_all(trash);
        return;
    }
    std::filesystem::rename(path_, final_path);
    committed_ = true;
    sync_directory(store_.root());
}

}  // namespace sandboxctl::snapshot
