#pragma once
// The snapshot store: one directory per snapshot under a root directory.
// A snapshot is written into a hidden staging directory and renamed into
// place only when complete, so a crash never leaves one that looks complete.
#include <filesystem>
#include <string>
#include <vector>

namespace sandboxctl::snapshot {

class Store {
public:
    explicit Store(std::filesystem::path root);

    const std::filesystem::path& root() const { return root_; }
    std::filesystem::path path_of(const std::string& name) const;
    bool exists(const std::string& name) const;
    // Names of complete snapshots, sorted.
    std::vector<std::string> list() const;
    void remove(const std::string& name) const;

    // Throws a usage error for names that are not [A-Za-z0-9][A-Za-z0-9._-]*.
    static void validate_name(const std::string& name);

private:
    std::filesystem::path root_;
};

// A staging directory for a new snapshot; removed on destruction unless
// committed. commit() renames it into place, replacing an existing snapshot
// of that name only if `replace`.
class Staging {
public:
    Staging(const Store& store, const std::string& name);
    ~Staging();
    Staging(const Staging&) = delete;
    Staging& operator=(const Staging&) = delete;

    const std::filesystem::path& path() const { return path_; }
    void commit(bool replace);

private:
    const Store& store_;
    std::string name_;
    std::filesystem::path path_;
    bool committed_ = false;
};

}  // namespace sandboxctl::snapshot
