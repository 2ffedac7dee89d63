#include "masking/fingerprint.hpp"

#include <initializer_list>
#include <set>
#include <string_view>

#include "core/checksum.hpp"

namespace sandboxctl::masking {

std::string fingerprint(const std::vector<Rule>& rules, const KeyedHash& hash) {
    if (rules.empty()) return "";
    // Sorted, so the order of the rules (and of a profile's) does not matter.
    std::set<std::string> lines;
    for (const auto& rule : rules) {
        auto line_of = [&](std::initializer_list<std::string_view> parts) {
            std::string line = rule.table;
            for (auto part : parts) {
                line += '\0';
                line += part;
            }
            return line;
        };
        for (const auto& [column, transformer] : rule.columns) lines.insert(line_of({column, transformer}));
        if (rule.except) {
            std::string line = line_of({"except", rule.except->column});
            for (const auto& value : rule.except->values) {
                line += '\0';
                line += value;
            }
            lines.insert(line);
        }
    }
    auto key_id = hash.digest("key-id", "");
    Sha256 sha;
    sha.update(key_id.data(), key_id.size());
    for (const auto& line : lines) {
        sha.update(line.data(), line.size());
        sha.update("\n", 1);
    }
    return sha.hex();
}

}  // namespace sandboxctl::masking
