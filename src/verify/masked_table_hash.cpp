#include "verify/masked_table_hash.hpp"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <array>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "masking/row_masker.hpp"
#include "pg/copy_stream.hpp"
#include "pg/copy_text.hpp"

namespace sandboxctl::verify {
namespace {

// Each field as its value (a length and the bytes, or a NULL marker), so a
// value hashes the same whatever escapes its COPY text used.
class RowHasher {
public:
    void add(std::string_view row) {
        pg::split_copy_text_row(row, fields_);
        buffer_.clear();
        for (auto raw : fields_) {
            auto field = pg::decode_copy_text_field(raw);
            buffer_ += field ? fmt::format("{}:", field->size()) + *field : std::string("N");
        }
        std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
        unsigned int length = 0;
        if (EVP_Digest(buffer_.data(), buffer_.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
            throw failure("could not compute SHA-256 of a row");
        for (int half = 0; half < 2; ++half) {
            std::uint64_t v = 0;
            for (int b = 0; b < 8; ++b) v = (v << 8) | digest[static_cast<std::size_t>(half * 8 + b)];
            sums_[half] += v;  // wraps: a sum modulo 2^64 is still order-independent
        }
        ++rows_;
    }
    TableHash result() const { return {rows_, fmt::format("masked:{:016x}/{:016x}", sums_[0], sums_[1])}; }

private:
    std::vector<std::string_view> fields_;
    std::string buffer_;
    std::uint64_t sums_[2] = {0, 0};
    long long rows_ = 0;
};

}  // namespace

TableHash hash_masked_table(pg::Connection& conn, const catalog::Relation& table, const masking::TableMask* mask,
                            const masking::KeyedHash* hash) {
    // The columns the refresh copied, in its order (what the masker's
    // indexes point at), FROM ONLY as the servers' hash reads: an
    // inheritance child is a table of its own.
    std::string columns;
    for (const auto& column : table.copy_columns) columns += (columns.empty() ? "" : ", ") + pg::quote_ident(column);
    std::optional<masking::RowMasker> masker;
    if (mask && hash) masker.emplace(*mask, *hash);
    RowHasher hasher;
    std::string sql = fmt::format("COPY (SELECT {} FROM ONLY {}) TO STDOUT", columns, table.qualified());
    pg::copy_out(conn, sql, [&](std::string_view row) { hasher.add(masker ? masker->mask(row) : row); });
    return hasher.result();
}

}  // namespace sandboxctl::verify
