#pragma once
// Streaming zstd compression to and from files, for snapshot table data.
// The writer also checksums what it writes, so a snapshot records the SHA-256
// of every file without reading it back, and each frame carries zstd's own
// content checksum, which the reader checks as it decompresses.
#include <zstd.h>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/checksum.hpp"
#include "core/fd.hpp"

namespace sandboxctl::snapshot {

class ZstdWriter {
public:
    ZstdWriter(const std::filesystem::path& path, int level);
    ~ZstdWriter();
    ZstdWriter(const ZstdWriter&) = delete;
    ZstdWriter& operator=(const ZstdWriter&) = delete;

    void write(std::string_view data);
    // Flushes, fsyncs and closes; returns the SHA-256 of the compressed file.
    std::string finish();
    long long compressed_bytes() const { return compressed_bytes_; }

private:
    void emit(const void* data, std::size_t size);

    std::filesystem::path path_;
    Fd file_;
    std::unique_ptr<ZSTD_CCtx, std::size_t (*)(ZSTD_CCtx*)> stream_;
    std::string out_buffer_;
    long long compressed_bytes_ = 0;
    Sha256 sha_;
};

// Reads a zstd file and calls `sink` with each decompressed chunk; throws a
// failure naming the file when it is truncated or its frame checksum differs
// (only at the end of a frame: the caller must not keep what it was given).
void read_zstd_file(const std::filesystem::path& path, const std::function<void(std::string_view)>& sink);

}  // namespace sandboxctl::snapshot
