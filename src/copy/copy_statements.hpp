#pragma once
// The COPY statements of the data step (refresh, snapshot create, full reset):
// explicit column lists that leave out generated columns, binary where every
// column type allows it.
#include <chrono>
#include <string>
#include <vector>

#include "catalog/catalog.hpp"
#include "pg/connection.hpp"
#include "pg/copy_stream.hpp"

namespace sandboxctl::copy {

// What the copy of one table moved, for the reports.
struct TableCopy {
    std::string name;
    long long rows = 0;
    long long bytes = 0;
    std::chrono::nanoseconds elapsed{};
};

// The COPY statements for one table; exposed for tests.
struct CopyStatements {
    std::string out;  // COPY ... TO STDOUT, for the source
    std::string in;   // COPY ... FROM STDIN, for the target
    bool binary = false;
};
// Text format where `text` says so (masking rewrites text fields), else
// binary where the column types allow.
CopyStatements copy_statements(const catalog::Relation& table, bool freeze, bool text = false);

// Rows in a COPY ... TO STDOUT of `statements`: one message per row, plus,
// in binary format, a trailer message that is not a row.
long long rows_copied(const CopyStatements& statements, const pg::CopyCounters& counters);

}  // namespace sandboxctl::copy
