#pragma once
// Diagnostics go to stderr; results (reports) go to stdout. Every line is
// passed through secrets::redact before it is written.
#include <fmt/format.h>

#include <string_view>

namespace sandboxctl::log {

enum class Level { quiet = 0, normal = 1, verbose = 2 };

void set_level(Level level);
Level level();

void write(Level minimum, std::string_view prefix, std::string_view message);

template <typename... Args>
void info(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::normal, "", fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void detail(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::verbose, "", fmt::format(format, std::forward<Args>(args)...));
}

template <typename... Args>
void warning(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::normal, "warning: ", fmt::format(format, std::forward<Args>(args)...));
}

// Errors are printed even with --quiet.
template <typename... Args>
void error(fmt::format_string<Args...> format, Args&&... args) {
    write(Level::quiet, "error: ", fmt::format(format, std::forward<Args>(args)...));
}

// The SQL a session sends, shown with --verbose. `label` is "source" or "target".
void sql(std::string_view label, std::string_view statement);

}  // namespace sandboxctl::log
