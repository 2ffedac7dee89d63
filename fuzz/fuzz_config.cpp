// libFuzzer target: the TOML configuration loader. Any input must end in
// settings or in sandboxctl's usage error, never a crash, hang or other
// exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/settings.hpp"
#include "core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    sandboxctl::config::Settings settings;
    try {
        sandboxctl::config::load_text(std::string_view(reinterpret_cast<const char*>(data), size),
                                      "/fuzz/sandboxctl.toml", settings);
    } catch (const sandboxctl::Error&) {}
    return 0;
}
