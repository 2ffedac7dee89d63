#pragma once
#include <functional>

namespace sandboxctl {

// Sum of one numeric member over a range: sum_of(tables, &TableCopy::rows).
template <typename Range, typename Projection>
long long sum_of(const Range& items, Projection member) {
    long long total = 0;
    for (const auto& item : items) total += std::invoke(member, item);
    return total;
}

}  // namespace sandboxctl
