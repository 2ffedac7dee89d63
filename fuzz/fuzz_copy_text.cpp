// libFuzzer target: the COPY text decoder. Decoding in one piece and in
// chunks cut at a data-chosen size must agree, row for row.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "pg/copy_text.hpp"

namespace {

bool decode(std::string_view text, std::size_t chunk, std::vector<sandboxctl::pg::CopyRow>& rows) {
    sandboxctl::pg::CopyTextDecoder decoder([&](const sandboxctl::pg::CopyRow& row) { rows.push_back(row); });
    try {
        for (std::size_t at = 0; at < text.size(); at += chunk) decoder.feed(text.substr(at, chunk));
        decoder.finish();
        return true;
    } catch (const sandboxctl::Error&) {
        return false;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size == 0) return 0;
    std::size_t chunk = 1 + data[0] % 7;
    std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
    std::vector<sandboxctl::pg::CopyRow> whole, pieces;
    bool ok_whole = decode(text, text.size() + 1, whole);
    bool ok_pieces = decode(text, chunk, pieces);
    if (ok_whole != ok_pieces || (ok_whole && whole != pieces)) std::abort();
    return 0;
}
