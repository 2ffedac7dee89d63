#include "pg/connection.hpp"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cstdlib>

#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/number.hpp"
#include "core/secrets.hpp"

namespace sandboxctl::pg {
namespace {

// Cancel handles of the open connections, so that the signal handler can stop
// the statements in flight (PQcancel is async-signal-safe).
constexpr std::size_t max_cancel_slots = 64;
std::array<std::atomic<PGcancel*>, max_cancel_slots> cancel_slots{};

void cancel_all_from_signal() {
    char buffer[256];
    for (auto& slot : cancel_slots) {
        if (PGcancel* cancel = slot.load()) PQcancel(cancel, buffer, sizeof buffer);
    }
}

int register_cancel(PGconn* conn) {
    static const bool hooked = (interrupt::set_signal_hook(cancel_all_from_signal), true);
    (void)hooked;
    PGcancel* cancel = PQgetCancel(conn);
    if (!cancel) return -1;
    for (std::size_t i = 0; i < cancel_slots.size(); ++i) {
        PGcancel* expected = nullptr;
        if (cancel_slots[i].compare_exchange_strong(expected, cancel)) return static_cast<int>(i);
    }
    PQfreeCancel(cancel);
    return -1;
}

void unregister_cancel(int slot) {
    if (slot < 0) return;
    if (PGcancel* cancel = cancel_slots[slot].exchange(nullptr)) PQfreeCancel(cancel);
}

std::string trim_trailing_newlines(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
}

std::string field(const PGresult* result, int code) {
    const char* value = result ? PQresultErrorField(result, code) : nullptr;
    return value ? value : "";
}

}  // namespace

PgError::PgError(ExitCode code, std::string message, std::string hint, ServerMessage server)
    : Error(code, std::move(message), std::move(hint)), server_(std::move(server)) {}

std::optional<std::string> Result::get_optional(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return get(row, column);
}

std::string PgError::primary_without_values() const {
    const std::string primary = server_.primary.empty() ? std::string(what()) : server_.primary;
    if (!sqlstate().starts_with("22") && !sqlstate().starts_with("23")) return primary;
    auto quoted_value = primary.find(": \"");
    return fmt::format("{} (SQLSTATE {})", primary.substr(0, quoted_value), sqlstate());
}

long long Result::affected_rows() const {
    // PQcmdTuples takes a non-const result but only reads it.
    const char* text = PQcmdTuples(const_cast<PGresult*>(result_.get()));
    if (!text || !*text) return 0;
    auto count = to_integer(text);
    if (!count) {
        throw failure(fmt::format("unexpected row count \"{}\" in the server's answer", text),
                      "The server answered something sandboxctl does not understand; check its version.");
    }
    return *count;
}

long long Result::get_int(int row, int column) const {
    auto text = get(row, column);
    auto value = to_integer(text);
    if (!value) {
        const char* name = PQfname(result_.get(), column);
        throw failure(fmt::format("unexpected value \"{}\" in column \"{}\" of a query result: expected an integer",
                                  text, name ? name : "?"),
                      "The server answered something sandboxctl does not understand; check its version.");
    }
    return *value;
}

int Result::column_index(const char* name) const { return PQfnumber(result_.get(), name); }

namespace {

// libpq's keyword and value arrays own nothing: they point into `params`.
PGconn* connect(const std::vector<std::pair<std::string, std::string>>& params) {
    std::vector<const char*> keywords, values;
    for (const auto& [key, value] : params) {
        keywords.push_back(key.c_str());
        values.push_back(value.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    return PQconnectdbParams(keywords.data(), values.data(), 0);
}

std::vector<std::pair<std::string, std::string>> connect_params(const ConnInfo& info, std::string_view purpose) {
    auto params = info.params_with_password();
    if (!info.get("application_name")) params.emplace_back("application_name", "sandboxctl/" + std::string(purpose));
    log::detail("[{}] connecting to {}", info.label(), info.describe());
    return params;
}

// Takes ownership of `conn`: a connection that failed is closed, and the
// error names the side and the server.
PGconn* require_open(PGconn* conn, const std::string& label, const std::string& description) {
    if (!conn) throw failure("could not connect to " + label + " database: out of memory");
    if (PQstatus(conn) != CONNECTION_OK) {
        std::string reason = trim_trailing_newlines(PQerrorMessage(conn));
        PQfinish(conn);
        throw failure(fmt::format("could not connect to {} database ({}): {}", label, description, reason),
                      "Check the " + label + " connection string, and that the server accepts connections.");
    }
    // The password libpq used, a passfile's too: masked wherever output
    // might show it (a hook that prints the passfile).
    if (const char* used = PQpass(conn); used && *used) secrets::remember(used);
    return conn;
}

}  // namespace

Connection Connection::open(const ConnInfo& info, std::string_view purpose) {
    PGconn* conn = connect(connect_params(info, purpose));
    return Connection(require_open(conn, info.label(), info.describe()), info.label());
}

PendingConnection Connection::start(const ConnInfo& info, std::string_view purpose) {
    return PendingConnection(std::async(std::launch::async, connect, connect_params(info, purpose)), info);
}

PendingConnection::PendingConnection(std::future<PGconn*> conn, const ConnInfo& info)
    : conn_(std::move(conn)), label_(info.label()), description_(info.describe()) {}

PendingConnection::~PendingConnection() {
    if (!conn_.valid()) return;
    if (PGconn* conn = conn_.get()) PQfinish(conn);
}

Connection PendingConnection::finish() {
    PGconn* conn = conn_.get();
    return Connection(require_open(conn, label_, description_), label_);
}

// Server notices (NOTICE, WARNING) are shown with --verbose, labelled with
// the side they come from, instead of libpq's default print to stderr.
extern "C" void route_notice(void* label, const char* message) {
    std::string text(message);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    log::detail("[{}] {}", static_cast<const char*>(label), text);
}

Connection::Connection(PGconn* conn, std::string label) : conn_(conn), label_(std::move(label)) {
    cancel_slot_ = register_cancel(conn_);
    PQsetNoticeProcessor(conn_, route_notice, const_cast<char*>(label_ == "source" ? "source" : "target"));
}

Connection::Connection(Connection&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      label_(std::move(other.label_)),
      cancel_slot_(std::exchange(other.cancel_slot_, -1)) {}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        close();
        conn_ = std::exchange(other.conn_, nullptr);
        label_ = std::move(other.label_);
        cancel_slot_ = std::exchange(other.cancel_slot_, -1);
    }
    return *this;
}

Connection::~Connection() { close(); }

void Connection::close() {
    unregister_cancel(cancel_slot_);
    cancel_slot_ = -1;
    if (conn_) PQfinish(conn_);
    conn_ = nullptr;
}

void Connection::throw_error(std::string_view context, const PGresult* result) const {
    ServerMessage server{field(result, PG_DIAG_SQLSTATE), field(result, PG_DIAG_MESSAGE_PRIMARY),
                         field(result, PG_DIAG_MESSAGE_DETAIL), field(result, PG_DIAG_CONTEXT), 0};
    if (server.primary.empty()) server.primary = trim_trailing_newlines(PQerrorMessage(conn_));
    if (auto position = field(result, PG_DIAG_INTERNAL_POSITION); !position.empty()) {
        server.internal_position = static_cast<int>(to_integer(position).value_or(0));
    }
    std::string message = fmt::format("{} on {} failed: {}", context, label_, server.primary);
    if (!server.detail.empty()) message += "\nDETAIL: " + server.detail;
    if (!server.context.empty()) message += "\nCONTEXT: " + server.context;
    std::string hint = field(result, PG_DIAG_MESSAGE_HINT);
    if (interrupt::requested()) {
        message = fmt::format("{} on {} was {}", context, label_, interrupt::describe());
    }
    throw PgError(ExitCode::failed, message, hint, std::move(server));
}

Result Connection::exec(std::string_view sql) { return exec(sql, {}); }

Result Connection::exec(std::string_view sql, const Params& params) { return run(sql, params, !params.empty()); }

Result Connection::exec_one(std::string_view sql, const Params& params) { return run(sql, params, true); }

Result Connection::run(std::string_view sql, const Params& params, bool extended) {
    // No interrupt check here: cleanup (restoring the connection limit) must
    // still run after a signal. Loops check between steps instead.
    log::sql(label_, sql);
    std::string text(sql);
    PGresult* raw = nullptr;
    if (!extended) {
        raw = PQexec(conn_, text.c_str());
    } else {
        std::vector<const char*> values;
        for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
        raw = PQexecParams(conn_, text.c_str(), static_cast<int>(values.size()), nullptr, values.data(), nullptr,
                           nullptr, 0);
    }
    Result result(raw);
    auto status = PQresultStatus(raw);
    if (!raw || (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK && status != PGRES_EMPTY_QUERY)) {
        std::string first_line = first_statement_line(sql);
        if (first_line.size() > 80) first_line = first_line.substr(0, 77) + "...";
        throw_error("query \"" + first_line + "\"", raw);
    }
    return result;
}

std::string Connection::query_value(std::string_view sql, const Params& params) {
    Result result = exec(sql, params);
    if (result.rows() < 1 || result.columns() < 1) {
        throw failure(fmt::format("query on {} returned no rows: {}", label_, sql));
    }
    return result.get(0, 0);
}

long long Connection::query_integer(std::string_view sql, const Params& params) {
    auto text = query_value(sql, params);
    auto value = to_integer(text);
    if (!value) {
        throw failure(fmt::format("query on {} returned \"{}\" where an integer was expected: {}", label_, text,
                                  first_statement_line(sql)),
                      "The server answered something sandboxctl does not understand; check its version.");
    }
    return *value;
}

std::string_view Connection::text_of(const sql::Fragment& sql) const {
    int encoding = PQclientEncoding(conn_);
    if (!pg_valid_server_encoding_id(encoding)) {
        throw failure(fmt::format("could not send SQL built from quoted pieces on {}: client_encoding {} may hide "
                                  "a quote inside a multibyte character",
                                  label_, pg_encoding_to_char(encoding)),
                      "Set client_encoding to the database's encoding or UTF8 (PGCLIENTENCODING, or the "
                      "connection string's client_encoding).");
    }
    return sql.text();
}

std::string Connection::quote_identifier(std::string_view name) const {
    char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
    if (!quoted) throw_error("quoting an identifier");
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

std::string Connection::quote_literal(std::string_view value) const {
    char* quoted = PQescapeLiteral(conn_, value.data(), value.size());
    if (!quoted) throw_error("quoting a literal");
    std::string out(quoted);
    PQfreemem(quoted);
    return out;
}

std::string first_statement_line(std::string_view sql) {
    std::size_t pos = 0;
    while (pos < sql.size()) {
        auto end = sql.find('\n', pos);
        std::string_view line = sql.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
        auto start = line.find_first_not_of(" \t\r");
        if (start != std::string_view::npos && !line.substr(start).starts_with("--")) {
            return std::string(line.substr(start));
        }
        if (end == std::string_view::npos) break;
        pos = end + 1;
    }
    return {};
}

std::string quote_ident(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

std::string oid_array(const std::vector<unsigned>& oids) {
    std::string out = "{";
    for (unsigned oid : oids) {
        if (out.size() > 1) out += ',';
        out += std::to_string(oid);
    }
    return out + "}";
}

std::string quote_literal(std::string_view value) {
    std::string out = "'";
    for (char c : value) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + "'";
}

std::string qualified_name(std::string_view schema, std::string_view name) {
    return quote_ident(schema) + "." + quote_ident(name);
}

}  // namespace sandboxctl::pg
