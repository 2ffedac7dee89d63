#pragma once
// `lease --service-file FILE`: the agent's credentials for its member, which
// go when the lease does. The directory is opened before the file is
// written, and the file is removed from that directory, wherever its path
// leads by then: the agent shares the directory and may have put a symlink
// in its place.
#include <string>

#include "core/fd.hpp"

namespace sandboxctl::cli {

class LeaseServiceFile {
public:
    // Writes `content` to `path`, mode 0600, atomically.
    void write(const std::string& path, const std::string& content);
    // Removes the file written, if any; what stands there that is not a file
    // (a directory) stays, and a removal that fails is a warning. True when
    // no file written is left.
    bool remove() const;

private:
    std::string path_;
    Fd directory_;
    std::string name_;
};

}  // namespace sandboxctl::cli
