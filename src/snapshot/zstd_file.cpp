#include "snapshot/zstd_file.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "core/checksum.hpp"
#include "core/error.hpp"

namespace sandboxctl::snapshot {

ZstdWriter::ZstdWriter(const std::filesystem::path& path, int level)
    : path_(path), file_(open_fd(path, O_WRONLY | O_CREAT | O_TRUNC, 0666)), stream_(ZSTD_createCCtx(), ZSTD_freeCCtx) {
    ZSTD_CCtx_setParameter(stream_.get(), ZSTD_c_compressionLevel, level);
    // A content checksum in every frame: a damaged file fails to decompress
    // instead of loading different rows (older files without it still read).
    ZSTD_CCtx_setParameter(stream_.get(), ZSTD_c_checksumFlag, 1);
    out_buffer_.resize(ZSTD_CStreamOutSize());
}

ZstdWriter::~ZstdWriter() = default;

void ZstdWriter::emit(const void* data, std::size_t size) {
    if (size == 0) return;
    write_all(file_.get(), std::string_view(static_cast<const char*>(data), size), path_.string());
    sha_.update(data, size);
    compressed_bytes_ += static_cast<long long>(size);
}

void ZstdWriter::write(std::string_view data) {
    ZSTD_inBuffer input{data.data(), data.size(), 0};
    while (input.pos < input.size) {
        ZSTD_outBuffer output{out_buffer_.data(), out_buffer_.size(), 0};
        std::size_t rc = ZSTD_compressStream2(stream_.get(), &output, &input, ZSTD_e_continue);
        if (ZSTD_isError(rc)) throw failure(std::string("zstd compression failed: ") + ZSTD_getErrorName(rc));
        emit(out_buffer_.data(), output.pos);
    }
}

std::string ZstdWriter::finish() {
    ZSTD_inBuffer input{nullptr, 0, 0};
    std::size_t remaining = 0;
    do {
        ZSTD_outBuffer output{out_buffer_.data(), out_buffer_.size(), 0};
        remaining = ZSTD_compressStream2(stream_.get(), &output, &input, ZSTD_e_end);
        if (ZSTD_isError(remaining))
            throw failure(std::string("zstd compression failed: ") + ZSTD_getErrorName(remaining));
        emit(out_buffer_.data(), output.pos);
    } while (remaining != 0);
    fsync_fd(file_.get(), path_.string());
    file_.close(path_.string());
    return sha_.hex();
}

void read_zstd_file(const std::filesystem::path& path, const std::function<void(std::string_view)>& sink) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) throw failure("could not open \"" + path.string() + "\": " + std::strerror(errno));
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> closer(file, std::fclose);
    std::unique_ptr<ZSTD_DCtx, std::size_t (*)(ZSTD_DCtx*)> stream(ZSTD_createDCtx(), ZSTD_freeDCtx);
    std::vector<char> in(ZSTD_DStreamInSize()), out(ZSTD_DStreamOutSize());
    std::size_t last = 0;
    for (;;) {
        std::size_t read = std::fread(in.data(), 1, in.size(), file);
        // At once, while errno is fread's: a read error at a frame boundary
        // would otherwise pass for a complete file.
        if (std::ferror(file)) throw failure("could not read \"" + path.string() + "\": " + std::strerror(errno));
        ZSTD_inBuffer input{in.data(), read, 0};
        while (input.pos < input.size) {
            ZSTD_outBuffer output{out.data(), out.size(), 0};
            last = ZSTD_decompressStream(stream.get(), &output, &input);
            if (ZSTD_isError(last) && ZSTD_getErrorCode(last) == ZSTD_error_checksum_wrong) {
                throw failure("file \"" + path.string() +
                              "\" is corrupt: its content does not match its zstd checksum");
            }
            if (ZSTD_isError(last)) {
                throw failure("could not decompress \"" + path.string() + "\": " + ZSTD_getErrorName(last));
            }
            sink(std::string_view(out.data(), output.pos));
        }
        if (std::feof(file)) break;  // never read past the end
    }
    if (last != 0) throw failure("could not decompress \"" + path.string() + "\": the file is truncated");
}

}  // namespace sandboxctl::snapshot
