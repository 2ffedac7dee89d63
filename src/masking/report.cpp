#include "masking/report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace sandboxctl::masking {

void print_text(const Summary& summary, std::ostream& out) {
    if (summary.empty()) return;
    std::size_t columns = 0;
    for (const auto& t : summary.tables) columns += t.columns.size();
    fmt::print(out, "masked on the way: {} column(s) of {} table(s)\n", columns, summary.tables.size());
    for (const auto& t : summary.tables) {
        std::string list;
        for (const auto& [column, transformer] : t.columns) {
            list += fmt::format("{}{} ({})", list.empty() ? "" : ", ", column, transformer);
        }
        fmt::print(out, "  {}: {}\n", t.table, list);
        if (!t.except.empty()) fmt::print(out, "  {}  not masked: {}\n", std::string(t.table.size(), ' '), t.except);
    }
    for (const auto& column : summary.uncovered) {
        fmt::print(out, "  uncovered: {} (a text column of a masked table that no rule names)\n", column);
    }
    for (const auto& line : summary.skipped) fmt::print(out, "  not masked, absent: {}\n", line);
}

nlohmann::json to_json(const Summary& summary) {
    nlohmann::json doc = {
        {"tables", nlohmann::json::array()}, {"uncovered", summary.uncovered}, {"skipped", summary.skipped}};
    for (const auto& t : summary.tables) {
        nlohmann::json columns = nlohmann::json::object();
        for (const auto& [column, transformer] : t.columns) columns[column] = transformer;
        nlohmann::json table = {{"table", t.table}, {"columns", columns}};
        if (!t.except.empty()) table["except"] = t.except;
        doc["tables"].push_back(table);
    }
    return doc;
}

}  // namespace sandboxctl::masking
