#include "cli/lease_service_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/log.hpp"

namespace sandboxctl::cli {

void LeaseServiceFile::write(const std::string& path, const std::string& content) {
    auto file = std::filesystem::path(path);
    auto parent = file.parent_path();
    directory_ = open_fd(parent.empty() ? std::filesystem::path(".") : parent, O_RDONLY | O_DIRECTORY);
    name_ = file.filename().string();
    write_file_atomically(file, content, "the lease's service file", 0600);
    path_ = path;
}

bool LeaseServiceFile::remove() const {
    if (path_.empty() || ::unlinkat(directory_.get(), name_.c_str(), 0) == 0 || errno == ENOENT) return true;
    log::warning("could not remove the lease's service file \"{}\": {}", path_, std::strerror(errno));
    return false;
}

}  // namespace sandboxctl::cli
