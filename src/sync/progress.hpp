#pragma once
// The transfer's progress line on a terminal: entries and bytes done of those
// planned, drawn through the one progress line of output/.
#include <cstddef>

#include "output/progress.hpp"

namespace sandboxctl::sync {

class TransferProgress {
public:
    TransferProgress(std::size_t entries, long long bytes) : entries_(entries), bytes_(bytes) {}

    void update(std::size_t done, long long bytes_done);

private:
    output::ProgressLine line_;
    std::size_t entries_;
    long long bytes_;
};

}  // namespace sandboxctl::sync
