#pragma once
// Masks the rows of one table as they stream from prod's COPY TO STDOUT (text
// format) into the sandbox's COPY FROM STDIN: only the masked fields are
// decoded, transformed and re-encoded; every other field is passed on as
// the bytes prod sent. The real value never reaches the sandbox, not even as
// a dead row version or in its WAL.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "masking/keyed_hash.hpp"
#include "masking/policy.hpp"

namespace sandboxctl::masking {

class RowMasker {
public:
    RowMasker(const TableMask& mask, const KeyedHash& hash);

    // `row`: one COPY text row, ending in a newline. Returns the masked row
    // (a view of a buffer reused by the next call). Throws, naming the unique
    // key and never a value, when two different prod rows would be loaded
    // with the same masked key.
    std::string_view mask(std::string_view row);

    // The masked form of one value of `column` (for verify and mask-check,
    // which mask the source side the way the refresh did).
    static std::optional<std::string> mask_value(const ColumnMask& column, const std::optional<std::string>& value,
                                                 const KeyedHash& hash);

private:
    void check_unique(const std::vector<std::string_view>& in, const std::vector<std::string_view>& out);

    const TableMask& mask_;
    const KeyedHash& hash_;
    std::vector<std::string_view> fields_;
    std::vector<std::string_view> masked_fields_;
    std::vector<std::string> encoded_;
    std::string row_;
    // Per unique key: hash of the masked key -> hash of prod's key.
    std::vector<std::unordered_map<std::uint64_t, std::uint64_t>> seen_;
};

}  // namespace sandboxctl::masking
