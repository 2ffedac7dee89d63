#pragma once
// The transfer's one progress line on a terminal: entries and bytes done of
// those planned. Silent unless stderr is a terminal and the log level is
// normal; the line is erased when the object goes.
#include <chrono>
#include <cstddef>

namespace sandboxctl::sync {

class TransferProgress {
public:
    TransferProgress(std::size_t entries, long long bytes);
    ~TransferProgress();
    TransferProgress(const TransferProgress&) = delete;
    TransferProgress& operator=(const TransferProgress&) = delete;

    // Redraws at most five times a second.
    void update(std::size_t done, long long bytes_done);

private:
    bool enabled_;
    std::size_t entries_;
    long long bytes_;
    std::chrono::steady_clock::time_point last_;
};

}  // namespace sandboxctl::sync
