#include "pg/copy_stream.hpp"

#include "core/interrupt.hpp"
#include "core/log.hpp"

namespace sandboxctl::pg {
namespace {

constexpr long long rows_between_checks = 4096;

void start_copy(Connection& conn, std::string_view sql, ExecStatusType expected, std::string_view context) {
    interrupt::throw_if_requested();
    log::sql(conn.label(), sql);
    // The extended protocol: one statement, never a second one hidden in
    // text that came from the user (a keep rule's where).
    Result result(PQexecParams(conn.raw(), std::string(sql).c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0));
    if (result.status() != expected) conn.throw_error(context, result.raw());
}

// Drains the results that follow the end of a COPY, failing on the first error.
void finish_results(Connection& conn, std::string_view context) {
    bool failed = false;
    std::optional<Result> error;
    while (PGresult* raw = PQgetResult(conn.raw())) {
        Result result(raw);
        if (result.status() != PGRES_COMMAND_OK && !failed) {
            failed = true;
            error.emplace(std::move(result));
        }
    }
    if (failed) conn.throw_error(context, error->raw());
}

// Leaves a COPY TO STDOUT cleanly if we stop reading early: the query is
// cancelled and its remaining output discarded.
class CopyOutGuard {
public:
    explicit CopyOutGuard(Connection& source) : source_(source) {}
    ~CopyOutGuard() {
        if (finished_) return;
        if (PGcancel* cancel = PQgetCancel(source_.raw())) {
            char buffer[256];
            PQcancel(cancel, buffer, sizeof buffer);
            PQfreeCancel(cancel);
        }
        char* row = nullptr;
        while (PQgetCopyData(source_.raw(), &row, 0) > 0) PQfreemem(row);
        while (PGresult* r = PQgetResult(source_.raw())) PQclear(r);
    }
    CopyOutGuard(const CopyOutGuard&) = delete;
    CopyOutGuard& operator=(const CopyOutGuard&) = delete;
    void finished() { finished_ = true; }

private:
    Connection& source_;
    bool finished_ = false;
};

}  // namespace

CopyIn::CopyIn(Connection& target, std::string_view sql) : target_(target) {
    start_copy(target_, sql, PGRES_COPY_IN, "COPY FROM STDIN");
}

CopyIn::~CopyIn() {
    if (finished_) return;
    PQputCopyEnd(target_.raw(), "sandboxctl aborted the copy");
    while (PGresult* r = PQgetResult(target_.raw())) PQclear(r);
}

void CopyIn::put(std::string_view data) {
    if (PQputCopyData(target_.raw(), data.data(), static_cast<int>(data.size())) != 1) {
        target_.throw_error("sending COPY data");
    }
}

void CopyIn::finish() {
    finished_ = true;
    if (PQputCopyEnd(target_.raw(), nullptr) != 1) target_.throw_error("COPY FROM STDIN");
    finish_results(target_, "COPY FROM STDIN");
}

CopyCounters copy_out(Connection& source, std::string_view sql, const std::function<void(std::string_view)>& sink) {
    start_copy(source, sql, PGRES_COPY_OUT, "COPY TO STDOUT");
    CopyOutGuard guard(source);
    CopyCounters counters;
    for (;;) {
        char* row = nullptr;
        int length = PQgetCopyData(source.raw(), &row, 0);
        if (length == -1) break;
        if (length < 0) source.throw_error("reading COPY data");
        std::unique_ptr<char, void (*)(void*)> owned(row, PQfreemem);
        sink(std::string_view(row, static_cast<std::size_t>(length)));
        ++counters.rows;
        counters.bytes += length;
        if (counters.rows % rows_between_checks == 0) interrupt::throw_if_requested();
    }
    guard.finished();
    finish_results(source, "COPY TO STDOUT");
    return counters;
}

CopyCounters stream_copy(Connection& source, std::string_view copy_out_sql, Connection& target,
                         std::string_view copy_in_sql, const CopyProgress& progress, const RowRewrite& rewrite) {
    CopyIn copy_in(target, copy_in_sql);
    long long rows = 0, bytes = 0;
    auto counters = copy_out(source, copy_out_sql, [&](std::string_view row) {
        copy_in.put(rewrite ? rewrite(row) : row);
        bytes += static_cast<long long>(row.size());
        if (++rows % rows_between_checks == 0 && progress) progress({rows, bytes});
    });
    copy_in.finish();
    if (progress) progress(counters);
    return counters;
}

}  // namespace sandboxctl::pg
