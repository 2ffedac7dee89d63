#pragma once
// A one-line progress display on stderr (the data copy of refresh and reset,
// the file sync), redrawn in place at most five times a second. It only draws
// when stderr is a terminal and the log level is normal; otherwise it is
// silent. It clears the line when it ends.
#include <chrono>
#include <functional>
#include <string>

namespace sandboxctl::output {

class ProgressLine {
public:
    ProgressLine();
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    // Draws the line `render` returns, unless the last one was drawn less
    // than 200 ms ago (`render` is then not called).
    void show(const std::function<std::string()>& render);

private:
    bool enabled_;
    std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace sandboxctl::output
