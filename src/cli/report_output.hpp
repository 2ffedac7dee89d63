#pragma once
// The one output contract of every command with --json:
//   no --json      the text report on stdout;
//   --json FILE    the text report on stdout, the JSON document written to
//                  FILE (atomically: complete or not there);
//   --json -       stdout carries the JSON document alone, so it can be piped
//                  to a JSON parser; the text report goes to stderr.
// Diagnostics (progress, warnings, errors, hook output) always go to stderr.
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
    void write_json(const nlohmann::json& document) const;

private:
    std::string json_path_;
};

}  // namespace sandboxctl::cli
