#include "output/progress.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cstdio>

#include "core/duration.hpp"
#include "core/log.hpp"

namespace sandboxctl::output {

Progress::Progress(int tables, long long estimated_bytes)
    : enabled_(::isatty(STDERR_FILENO) && log::level() == log::Level::normal),
      tables_(tables),
      estimated_bytes_(estimated_bytes),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() {
    if (enabled_) std::fputs("\r\033[K", stderr);
}

void Progress::table_started(const std::string& name) {
    current_ = name;
    table_rows_ = table_bytes_ = 0;
    draw(false);
}

void Progress::update(long long table_rows, long long table_bytes) {
    table_rows_ = table_rows;
    table_bytes_ = table_bytes;
    draw(false);
}

void Progress::table_finished(long long rows, long long bytes) {
    ++done_;
    rows_ += rows;
    bytes_ += bytes;
    table_rows_ = table_bytes_ = 0;
    draw(false);
}

void Progress::draw(bool force) {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (!force && now - last_draw_ < std::chrono::milliseconds(200)) return;
    last_draw_ = now;
    long long bytes = bytes_ + table_bytes_;
    double elapsed = std::chrono::duration<double>(now - start_).count();
    std::string eta = "?";
    if (bytes > 0 && estimated_bytes_ > bytes) {
        double remaining = elapsed * static_cast<double>(estimated_bytes_ - bytes) / static_cast<double>(bytes);
        eta = format_duration(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(remaining)));
    }
    std::string line = fmt::format("\r\033[Kcopying {}/{} tables, {} rows, {} of ~{}, ETA {} ({})", done_, tables_,
                                   rows_ + table_rows_, format_bytes(static_cast<unsigned long long>(bytes)),
                                   format_bytes(static_cast<unsigned long long>(estimated_bytes_)), eta, current_);
    std::fputs(line.c_str(), stderr);
    std::fflush(stderr);
}

}  // namespace sandboxctl::output
