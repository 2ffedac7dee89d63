#pragma once
// What a run masked, as the refresh report and plan show it: each masked
// table with its columns' transformers, the rows a rule leaves alone, the
// text columns no rule covers and what a profile's rules found missing.
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace sandboxctl::masking {

struct MaskedTable {
    std::string table;
    std::vector<std::pair<std::string, std::string>> columns;  // (column, transformer)
    std::string except;  // "login where it is one of 2 value(s) (kept users)", or ""
};

struct Summary {
    std::vector<MaskedTable> tables;
    std::vector<std::string> uncovered;
    std::vector<std::string> skipped;
    bool empty() const { return tables.empty() && skipped.empty(); }
};

void print_text(const Summary& summary, std::ostream& out);
nlohmann::json to_json(const Summary& summary);

}  // namespace sandboxctl::masking
