#include "pool/row_stream.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/interrupt.hpp"
#include "snapshot/zstd_file.hpp"

namespace sandboxctl::pool {
namespace {

constexpr std::size_t header_size = 8;

std::string header(std::uint32_t index, std::uint32_t length) {
    std::string out(header_size, '\0');
    for (int i = 0; i < 4; ++i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>((index >> (8 * i)) & 0xffU);
        out[static_cast<std::size_t>(4 + i)] = static_cast<char>((length >> (8 * i)) & 0xffU);
    }
    return out;
}

std::uint32_t little_endian(const unsigned char* bytes) {
    return static_cast<std::uint32_t>(bytes[0]) | (static_cast<std::uint32_t>(bytes[1]) << 8U) |
           (static_cast<std::uint32_t>(bytes[2]) << 16U) | (static_cast<std::uint32_t>(bytes[3]) << 24U);
}

// Fills `buffer`; false at a clean end of input before its first byte.
bool read_exactly(int fd, char* buffer, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        auto n = ::read(fd, buffer + done, size - done);
        if (n < 0 && errno == EINTR) {
            interrupt::throw_if_requested();
            continue;
        }
        if (n < 0) throw failure(fmt::format("could not read the snapshot's rows from pool sync: {}", strerror(errno)));
        if (n == 0) {
            if (done == 0) return false;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    if (done < size) throw failure("the snapshot's rows from pool sync ended in the middle of a frame");
    return true;
}

}  // namespace

void fan_out(const std::filesystem::path& dir, const snapshot::Manifest& manifest, const std::vector<int>& sinks,
             const std::function<void(std::size_t sink, const std::string& why)>& dropped) {
    std::vector<bool> live(sinks.size(), true);
    auto send = [&](const std::string& frame, std::string_view payload) {
        for (std::size_t i = 0; i < sinks.size(); ++i) {
            if (!live[i]) continue;
            try {
                write_all(sinks[i], frame, "a pool member's row stream");
                if (!payload.empty()) write_all(sinks[i], payload, "a pool member's row stream");
            } catch (const Error& e) {
                live[i] = false;
                dropped(i, e.what());
            }
        }
    };
    for (std::size_t index = 0; index < manifest.tables.size(); ++index) {
        const auto& table = manifest.tables[index];
        auto number = static_cast<std::uint32_t>(index);
        snapshot::read_zstd_file(dir / table.file, [&](std::string_view chunk) {
            interrupt::throw_if_requested();
            if (!chunk.empty()) send(header(number, static_cast<std::uint32_t>(chunk.size())), chunk);
        });
        send(header(number, 0), {});
        if (std::find(live.begin(), live.end(), true) == live.end()) return;
    }
}

snapshot::TableReader table_reader_from(int fd) {
    return [fd](std::size_t index, const snapshot::TableEntry& table,
                const std::function<void(std::string_view)>& sink) {
        std::array<char, header_size> head{};
        std::string payload;
        for (;;) {
            if (!read_exactly(fd, head.data(), head.size())) {
                throw failure(fmt::format("the snapshot's rows from pool sync ended before table {}", table.display()));
            }
            const auto* bytes = reinterpret_cast<const unsigned char*>(head.data());
            auto number = little_endian(bytes);
            auto length = little_endian(bytes + 4);
            if (number != index) {
                throw failure(fmt::format("pool sync sent the rows of table number {} where {} (number {}) was due",
                                          number, table.display(), index));
            }
            if (length == 0) return;
            payload.resize(length);
            if (!read_exactly(fd, payload.data(), length))
                throw failure("the snapshot's rows from pool sync ended in the middle of a frame");
            sink(payload);
        }
    };
}

}  // namespace sandboxctl::pool
