#include "sync/progress.hpp"

#include <fmt/format.h>

#include "core/duration.hpp"

namespace sandboxctl::sync {

void TransferProgress::update(std::size_t done, long long bytes_done) {
    line_.show([&] {
        return fmt::format("syncing {}/{} entries, {} of {}", done, entries_,
                           format_bytes(static_cast<unsigned long long>(bytes_done)),
                           format_bytes(static_cast<unsigned long long>(bytes_)));
    });
}

}  // namespace sandboxctl::sync
