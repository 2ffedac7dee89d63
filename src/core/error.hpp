#pragma once
// Errors carry their exit code and an optional hint up to the one place that
// prints them (cli/app.cpp). Messages follow PostgreSQL's style: lowercase,
// no trailing period, the object named, advice on a separate HINT line.
#include <stdexcept>
#include <string>

namespace sandboxctl {

// Documented in the `sandboxctl --help` footer (cli/app.cpp), which docs/sandboxctl.1
// and README.md are checked against (scripts/man_page.sh --check).
enum class ExitCode : int {
    ok = 0,
    failed = 1,       // operation failed; the sandbox is unchanged
    usage = 2,        // usage or configuration error
    refused = 3,      // refused by a safety check, or another run holds the sandbox
    differences = 4,  // verify found differences
    incomplete = 5,   // the sandbox was changed (committed), but a step after the commit failed
};

class Error : public std::runtime_error {
public:
    Error(ExitCode code, std::string message, std::string hint = {});

    ExitCode code() const { return code_; }
    const std::string& hint() const { return hint_; }

private:
    ExitCode code_;
    std::string hint_;
};

// A usage or configuration mistake (exit 2).
Error usage_error(std::string message, std::string hint = {});
// The operation failed (exit 1).
Error failure(std::string message, std::string hint = {});

// Re-throws the current exception with "context: " prepended to its message,
// keeping its exit code and hint. Use inside a catch block.
[[noreturn]] void rethrow_with_context(const std::string& context);

}  // namespace sandboxctl
