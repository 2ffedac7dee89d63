#include "masking/row_masker.hpp"

#include <fmt/format.h>

#include <functional>

#include "core/error.hpp"
#include "pg/copy_text.hpp"

namespace sandboxctl::masking {
namespace {

// The key's fields as one string ("\t" cannot occur inside a raw field);
// false when one is NULL (NULLs never collide in a unique index, unless it
// was made NULLS NOT DISTINCT).
bool key_text(const std::vector<std::string_view>& fields, const UniqueKey& key, std::string& out) {
    out.clear();
    for (auto index : key.indexes) {
        if (fields[index] == "\\N" && !key.nulls_not_distinct) return false;
        out += fields[index];
        out += '\t';
    }
    return true;
}

}  // namespace

RowMasker::RowMasker(const TableMask& mask, const KeyedHash& hash)
    : mask_(mask), hash_(hash), encoded_(mask.columns.size()), seen_(mask.unique_keys.size()) {}

std::optional<std::string> RowMasker::mask_value(const ColumnMask& column, const std::optional<std::string>& value,
                                                 const KeyedHash& hash) {
    auto out = column.transformer.apply(value, hash);
    if (out && column.max_chars && out->size() > column.max_chars) out->resize(column.max_chars);
    return out;
}

std::string_view RowMasker::mask(std::string_view row) {
    pg::split_copy_text_row(row, fields_);
    if (fields_.size() != mask_.table->copy_columns.size()) {
        throw failure(fmt::format("could not mask a row: it has {} fields, the table {} columns", fields_.size(),
                                  mask_.table->copy_columns.size()));
    }
    // A row the rule names (a kept user's) keeps the value that names it;
    // every other column of it is masked like any row's.
    std::optional<std::size_t> kept_column;
    if (mask_.except) {
        const auto& [index, exception] = *mask_.except;
        auto value = pg::decode_copy_text_field(fields_[index]);
        if (value && exception.values.contains(*value)) kept_column = index;
    }
    masked_fields_ = fields_;
    for (std::size_t i = 0; i < mask_.columns.size(); ++i) {
        const auto& column = mask_.columns[i];
        if (column.transformer.kind() == Kind::keep || kept_column == column.index) continue;
        auto value = mask_value(column, pg::decode_copy_text_field(fields_[column.index]), hash_);
        encoded_[i].clear();
        pg::append_copy_text_field(encoded_[i], value);
        masked_fields_[column.index] = encoded_[i];
    }
    check_unique(fields_, masked_fields_);
    row_.clear();
    for (std::size_t i = 0; i < masked_fields_.size(); ++i) {
        if (i) row_ += '\t';
        row_ += masked_fields_[i];
    }
    row_ += '\n';
    return row_;
}

void RowMasker::check_unique(const std::vector<std::string_view>& in, const std::vector<std::string_view>& out) {
    std::string in_text, out_text;
    for (std::size_t k = 0; k < mask_.unique_keys.size(); ++k) {
        const auto& key = mask_.unique_keys[k];
        if (!key_text(out, key, out_text) || !key_text(in, key, in_text)) continue;
        auto in_hash = std::hash<std::string>{}(in_text);
        auto [it, added] = seen_[k].try_emplace(std::hash<std::string>{}(out_text), in_hash);
        if (added || it->second == in_hash) continue;
        std::string columns;
        for (auto index : key.indexes) columns += (columns.empty() ? "" : ", ") + mask_.table->copy_columns[index];
        throw failure(
            fmt::format("two different prod rows get the same masked value of unique key {} ({})", key.name, columns),
            "The transformer has too few outputs for this column: give it one with more (email, username, iban), "
            "or keep it. Nothing was loaded; the sandbox is as it was.");
    }
}

}  // namespace sandboxctl::masking
