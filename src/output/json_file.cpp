#include "output/json_file.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace sandboxctl::output {

void write_json_file(const nlohmann::json& document, const std::filesystem::path& path, mode_t mode) {
    if (path == "-") {
        fmt::print("{}\n", document.dump(2));
        // A short report sits in stdio's buffer: without the flush, a full
        // disk or a closed pipe would only fail unseen at exit.
        bool flushed = std::fflush(stdout) == 0;
        if (!flushed || std::ferror(stdout)) {
            throw failure(fmt::format("could not write the JSON report to standard output: {}",
                                      flushed ? "an earlier write failed" : std::strerror(errno)));
        }
        return;
    }
    write_file_atomically(path, document.dump(2) + "\n", "JSON report", mode);
}

}  // namespace sandboxctl::output
