#pragma once
// Streams a COPY from one connection into a COPY on another: libpq copy-out to
// copy-in, one row in memory at a time, no intermediate files.
#include <functional>
#include <string_view>

#include "pg/connection.hpp"

namespace sandboxctl::pg {

struct CopyCounters {
    long long rows = 0;
    long long bytes = 0;
};

using CopyProgress = std::function<void(const CopyCounters&)>;

// A COPY ... FROM STDIN in progress on `target`. Data is sent with put();
// finish() completes it; destroying an unfinished one aborts the COPY, so the
// target transaction fails instead of committing a partial table.
class CopyIn {
public:
    CopyIn(Connection& target, std::string_view sql);
    ~CopyIn();
    CopyIn(const CopyIn&) = delete;
    CopyIn& operator=(const CopyIn&) = delete;

    void put(std::string_view data);
    void finish();

private:
    Connection& target_;
    bool finished_ = false;
};

// Runs a COPY ... TO STDOUT on `source` and passes each message (one row, in
// text format) to `sink`. Returns the number of messages and bytes.
CopyCounters copy_out(Connection& source, std::string_view sql, const std::function<void(std::string_view)>& sink);

// What a stream does to each row on its way (masking rewrites fields): the
// returned view must stay valid until the next call.
using RowRewrite = std::function<std::string_view(std::string_view)>;

// Runs `copy_out_sql` (a COPY ... TO STDOUT) on `source` and `copy_in_sql`
// (a COPY ... FROM STDIN) on `target`, forwarding every row (through
// `rewrite`, when given). On any failure or interrupt the target COPY is
// aborted, so nothing half-copied is committed.
CopyCounters stream_copy(Connection& source, std::string_view copy_out_sql, Connection& target,
                         std::string_view copy_in_sql, const CopyProgress& progress = {},
                         const RowRewrite& rewrite = {});

}  // namespace sandboxctl::pg
