#pragma once
// Time spent per phase of a run, for the reports of refresh and reset. On a
// terminal each running phase also shows a status line, because the schema
// dump and post-data take seconds with nothing else to show.
#include <chrono>
#include <string>
#include <vector>

namespace sandboxctl::output {

struct Phase {
    std::string name;
    std::chrono::nanoseconds elapsed{};
};

std::chrono::nanoseconds total_time(const std::vector<Phase>& phases);

// Times a phase from construction to destruction and appends it to `phases`.
class PhaseTimer {
public:
    PhaseTimer(std::vector<Phase>& phases, std::string name);
    ~PhaseTimer();
    PhaseTimer(const PhaseTimer&) = delete;
    PhaseTimer& operator=(const PhaseTimer&) = delete;

private:
    std::vector<Phase>& phases_;
    std::string name_;
    std::chrono::steady_clock::time_point start_;
    bool status_line_ = false;
};

}  // namespace sandboxctl::output
