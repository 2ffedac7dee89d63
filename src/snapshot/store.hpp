#pragma once
// The snapshot store: one directory per snapshot under a root directory.
// A snapshot is written into a hidden staging directory and renamed into
// place only when complete, so a crash never leaves one that looks complete.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "snapshot/manifest.hpp"

namespace sandboxctl::snapshot {

// A snapshot as listed: its manifest, or why that could not be read.
struct ListedSnapshot {
    std::string name;
    std::optional<Manifest> manifest;
    std::string problem;  // set when the manifest is damaged
};

class Store {
public:
    // Opening the store sweeps what dead runs left in it (see sweep_dead_runs).
    explicit Store(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path path_of(const std::string& name) const;
    bool exists(const std::string& name) const;
    // Names of complete snapshots (directories with a manifest), sorted.
    // Throws a failure when the store exists but cannot be read.
    std::vector<std::string> list() const;
    // Every snapshot with its manifest; a damaged manifest does not hide the others.
    std::vector<ListedSnapshot> list_manifests() const;
    void remove(const std::string& name) const;

    // Throws a usage error for names that are not [A-Za-z0-9][A-Za-z0-9._-]*.
    static void validate_name(const std::string& name);

private:
    std::filesystem::path root_;
};

// A staging directory for a new snapshot; removed on destruction unless
// published and finished. publish() puts it in place of snapshot `name`, the
// previous one kept aside; finish() drops that one. Destroyed after publish()
// but before finish() (the caller's commit failed), it puts the previous
// snapshot back, or removes the new one if there was none.
class Staging {
public:
    Staging(const Store& store, const std::string& name);
    ~Staging();
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    const std::filesystem::path& path() const { return path_; }
    // Throws a usage error if the snapshot exists and not `replace`.
    void publish(bool replace);
    void finish();

private:
    void undo_publish() noexcept;

    const Store& store_;
    std::string name_;
    std::filesystem::path path_;
    std::filesystem::path previous_;  // where the replaced snapshot waits; empty if none
    bool published_ = false;
    bool finished_ = false;
};

}  // namespace sandboxctl::snapshot
