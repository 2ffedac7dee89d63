// libFuzzer target: the pg_restore --list parser and its renderer. Parsing
// may reject input with sandboxctl's error; whatever it accepts must render
// and parse again to the same entries.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/error.hpp"
#include "schema/toc.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace sandboxctl::schema;
    const TocNames names{{"pg_database_owner", "sbx_provisioner", "sbx_app", "app"},
                         {"Accounting Dept", "public", "billing"}};
    try {
        auto entries = parse_toc(std::string_view(reinterpret_cast<const char*>(data), size), names);
        auto again = parse_toc(render_toc(entries), names);
        if (again.size() != entries.size()) std::abort();
    } catch (const sandboxctl::Error&) {}
    return 0;
}
