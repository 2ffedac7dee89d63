#include "cli/report_output.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "core/error.hpp"

#include "output/json_file.hpp"

namespace sandboxctl::cli {

// The report is written last, after the work (after a commit): a path that
// cannot be written is found before anything runs, so it never turns the
// command's own outcome (a live channel's exit 3, a committed refresh) into
// a different one.
ReportOutput::ReportOutput(const std::string& json_path) : json_path_(json_path) {
    if (json_path_.empty() || json_path_ == "-") return;
    std::error_code ec;
    auto status = std::filesystem::status(json_path_, ec);
    if (!ec && std::filesystem::exists(status) && !std::filesystem::is_regular_file(status)) {
        // The report is written beside and renamed over: a directory would
        // fail after the work, and a device (/dev/null) would be replaced.
        throw usage_error(
            fmt::format("cannot write the JSON report \"{}\": it exists and is not a regular file", json_path_),
            "Give --json the path of a regular file (it is replaced whole), or '-' for stdout.");
    }
    auto directory = std::filesystem::absolute(json_path_).parent_path();
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
        throw usage_error(fmt::format("cannot write the JSON report \"{}\": directory \"{}\": {}", json_path_,
                                      directory.string(), std::strerror(errno)),
                          "Give --json a path in an existing, writable directory, or '-' for stdout.");
    }
}

std::ostream& ReportOutput::text() const { return json_path_ == "-" ? std::cerr : std::cout; }

void ReportOutput::write_json(const nlohmann::json& document, mode_t mode) const {
    if (wants_json()) output::write_json_file(document, json_path_, mode);
}

}  // namespace sandboxctl::cli
