#pragma once
// The one output contract of every command with --json:
//   no --json      the text report on stdout;
//   --json FILE    the text report on stdout, the JSON document written to
//                  FILE (atomically: complete or not there);
//   --json -       stdout carries the JSON document alone, so it can be piped
//                  to a JSON parser; the text report goes to stderr.
// Diagnostics (progress, warnings, errors, hook output) always go to stderr.
#include <sys/types.h>

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

namespace sandboxctl::cli {

class ReportOutput {
public:
    // Throws a usage error (exit 2) when FILE's directory cannot be written.
    explicit ReportOutput(const std::string& json_path);

    // Where the text report goes.
    std::ostream& text() const;
    bool wants_json() const { return !json_path_.empty(); }
    const std::string& json_path() const { return json_path_; }
    // Writes the document to the --json destination; nothing without --json.
    // `mode`: a new FILE's permissions (0600 for a report holding a lease id).
    void write_json(const nlohmann::json& document, mode_t mode = 0644) const;

private:
    std::string json_path_;
};

}  // namespace sandboxctl::cli
