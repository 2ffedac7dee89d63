#pragma once
// Drives sandboxctl's failpoints (src/core/failpoint.hpp): start a run with
// env(point), wait until it stops there, break something, release it.
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace sandboxctl::test {

class FailpointDriver {
public:
    explicit FailpointDriver(std::filesystem::path file) : file_(std::move(file)) {}

    // The environment that makes a run stop at `point` ("*": at every point).
    std::vector<std::pair<std::string, std::string>> env(const std::string& point) const;
    // Waits until the run stopped at a point; false on timeout.
    bool wait_reached(double seconds) const;
    // The point the run is stopped at (after wait_reached).
    std::string point() const;
    // Lets the run go on.
    void release() const;
    // Runs `args` stopping at every point, releasing each at once; the names
    // of the points passed, in order. `finished` receives the exit code.
    std::vector<std::string> discover(const std::vector<std::string>& args,
                                      std::vector<std::pair<std::string, std::string>> env, int& exit_code) const;

private:
    std::filesystem::path file_;
};

// Temporary directories a run of process `pid` left under /tmp.
std::vector<std::string> temp_dirs_of(int pid);

}  // namespace sandboxctl::test
