#include "copy/copy_statements.hpp"

#include "pg/copy_stream.hpp"

namespace sandboxctl::copy {
namespace {

// "(a, b, c)", or empty for a table without columns (COPY takes no list then).
std::string column_list(const catalog::Relation& table) {
    if (table.copy_columns.empty()) return {};
    std::string out = " (";
    for (std::size_t i = 0; i < table.copy_columns.size(); ++i) {
        if (i) out += ", ";
        out += pg::quote_ident(table.copy_columns[i]);
    }
    return out + ")";
}

}  // namespace

CopyStatements copy_statements(const catalog::Relation& table, bool freeze, bool text) {
    std::string columns = column_list(table);
    // Binary saves both servers the text conversions (numeric, timestamps),
    // but its array and composite forms embed type oids that differ between
    // databases, so it is used only where every column type allows it.
    bool binary = table.binary_copy_safe && !text;
    std::string out_options = binary ? " WITH (FORMAT binary)" : "";
    std::string in_options;
    if (binary && freeze)
        in_options = " WITH (FORMAT binary, FREEZE)";
    else if (binary)
        in_options = " WITH (FORMAT binary)";
    else if (freeze)
        in_options = " WITH (FREEZE)";
    return {"COPY " + table.qualified() + columns + " TO STDOUT" + out_options,
            "COPY " + table.qualified() + columns + " FROM STDIN" + in_options, binary};
}

long long rows_copied(const CopyStatements& statements, const pg::CopyCounters& counters) {
    return statements.binary && counters.rows > 0 ? counters.rows - 1 : counters.rows;
}

}  // namespace sandboxctl::copy
