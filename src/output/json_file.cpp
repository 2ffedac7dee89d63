#include "output/json_file.hpp"

#include <fmt/format.h>

#include "core/atomic_file.hpp"

namespace sandboxctl::output {

void write_json_file(const nlohmann::json& document, const std::filesystem::path& path) {
    if (path == "-") {
        fmt::print("{}\n", document.dump(2));
        return;
    }
    write_file_atomically(path, document.dump(2) + "\n", "JSON report");
}

}  // namespace sandboxctl::output
