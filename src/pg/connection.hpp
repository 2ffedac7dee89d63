#pragma once
// RAII over libpq: a Connection owns its PGconn, a Result its PGresult. Every
// failed command becomes a PgError that carries the SQLSTATE and names the side
// ("source" or "target") it happened on; results are always cleared.
#include <libpq-fe.h>

#include <concepts>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "pg/conninfo.hpp"
#include "pg/sql.hpp"

namespace sandboxctl::pg {

// What the server said about a failed command, field by field, so callers
// can word the error for their own context (a user's file and line, say).
struct ServerMessage {
    std::string sqlstate;
    std::string primary;
    std::string detail;
    std::string context;
    int internal_position = 0;  // 1-based character in the text a PL/pgSQL EXECUTE ran, or 0
};

class PgError : public Error {
public:
    PgError(ExitCode code, std::string message, std::string hint, ServerMessage server);
    const std::string& sqlstate() const { return server_.sqlstate; }
    const ServerMessage& server() const { return server_; }
    // The server's primary message, without the value it quotes when the
    // error is about data (SQLSTATE classes 22 and 23: "invalid input syntax
    // for type integer: \"<a row's value>\""), which may be a secret or
    // personal data: then "invalid input syntax for type integer (SQLSTATE
    // 22P02)". A DETAIL, which may quote whole rows, is never part of it.
    std::string primary_without_values() const;

private:
    ServerMessage server_;
};

class Result {
public:
    explicit Result(PGresult* result) : result_(result, PQclear) {}

    int rows() const { return PQntuples(result_.get()); }
    int columns() const { return PQnfields(result_.get()); }
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column); }
    std::string get(int row, int column) const { return PQgetvalue(result_.get(), row, column); }
    std::optional<std::string> get_optional(int row, int column) const;
    long long get_int(int row, int column) const;
    bool get_bool(int row, int column) const { return get(row, column) == "t"; }
    int column_index(const char* name) const;
    ExecStatusType status() const { return PQresultStatus(result_.get()); }
    // The rows an INSERT, UPDATE, DELETE, MERGE, COPY or SELECT processed
    // (0 for other commands).
    long long affected_rows() const;
    const PGresult* raw() const { return result_.get(); }

private:
    std::unique_ptr<PGresult, void (*)(PGresult*)> result_;
};

using Params = std::vector<std::optional<std::string>>;

class PendingConnection;

class Connection {
public:
    // Opens a connection; `purpose` becomes part of application_name
    // ("sandboxctl/refresh") so DBAs can tell sessions apart.
    static Connection open(const ConnInfo& info, std::string_view purpose);
    // The same, in the background: the server starts a backend and
    // authenticates while the caller goes on (a second session a run needs
    // later costs it no wait). PendingConnection::finish waits for it.
    static PendingConnection start(const ConnInfo& info, std::string_view purpose);

    Connection(Connection&&) noexcept;
    Connection& operator=(Connection&&) noexcept;
    ~Connection();

    const std::string& label() const { return label_; }
    PGconn* raw() const { return conn_; }

    Result exec(std::string_view sql);
    Result exec(std::string_view sql, const Params& params);
    // Like exec, always through the extended protocol, which refuses a
    // second statement: for SQL that carries text from the user.
    Result exec_one(std::string_view sql, const Params& params = {});
    // First column of the first row, or throws if there is no row.
    std::string query_value(std::string_view sql, const Params& params = {});
    // The same, read as an integer; anything else is a failure naming this
    // side and the query.
    long long query_integer(std::string_view sql, const Params& params = {});

    // The same for SQL built from pieces (pg/sql.hpp). Templates so that a
    // string literal, which converts to a Fragment too, still takes the
    // overloads above instead of being ambiguous.
    template <std::same_as<sql::Fragment> Sql>
    Result exec(const Sql& sql, const Params& params = {}) {
        return exec(text_of(sql), params);
    }
    template <std::same_as<sql::Fragment> Sql>
    Result exec_one(const Sql& sql, const Params& params = {}) {
        return exec_one(text_of(sql), params);
    }
    template <std::same_as<sql::Fragment> Sql>
    std::string query_value(const Sql& sql, const Params& params = {}) {
        return query_value(text_of(sql), params);
    }
    template <std::same_as<sql::Fragment> Sql>
    long long query_integer(const Sql& sql, const Params& params = {}) {
        return query_integer(text_of(sql), params);
    }
    // The text of `sql` (for a COPY stream, say), once this session's client
    // encoding is one the pieces' quoting holds in: a server encoding, none
    // of whose multibyte characters holds an ASCII byte. In SJIS or BIG5 a
    // character may end in the byte of a backslash and unpair a quote.
    std::string_view text_of(const sql::Fragment& sql) const;

    std::string quote_identifier(std::string_view name) const;
    std::string quote_literal(std::string_view value) const;
    int server_version() const { return PQserverVersion(conn_); }
    std::string database() const { return PQdb(conn_); }
    std::string user() const { return PQuser(conn_); }
    // The server as libpq resolved it (from a service file, the environment
    // or the defaults too): the host name or socket directory, the address
    // connected to (empty over a socket) and the port.
    std::string host() const { return PQhost(conn_); }
    std::string host_address() const { return PQhostaddr(conn_); }
    std::string port() const { return PQport(conn_); }
    int backend_pid() const { return PQbackendPID(conn_); }

    // Converts the pending libpq error into a PgError with `context` prefixed.
    [[noreturn]] void throw_error(std::string_view context, const PGresult* result = nullptr) const;

private:
    friend class PendingConnection;
    Connection(PGconn* conn, std::string label);
    Result run(std::string_view sql, const Params& params, bool extended);
    void close();

    PGconn* conn_ = nullptr;
    std::string label_;
    int cancel_slot_ = -1;
};

class PendingConnection {
public:
    PendingConnection(PendingConnection&&) noexcept = default;
    PendingConnection& operator=(PendingConnection&&) = delete;
    ~PendingConnection();
    // The open connection, or the error open() would have thrown.
    Connection finish();

private:
    friend class Connection;
    PendingConnection(std::future<PGconn*> conn, const ConnInfo& info);
    std::future<PGconn*> conn_;
    std::string label_, description_;
};

// The first line of `sql` that is neither blank nor a comment: what an error
// quotes to say which query failed (pg_restore's scripts open with "--").
std::string first_statement_line(std::string_view sql);

// Double-quotes an identifier without a connection (for pg_dump patterns and
// messages); Connection::quote_identifier is preferred for SQL.
std::string quote_ident(std::string_view name);
// 'text' with quotes doubled, for servers with standard_conforming_strings
// on (the default, and what sandboxctl's sessions use).
std::string quote_literal(std::string_view value);
// "{1,2,3}": oids as the text of a `$n::pg_catalog.oid[]` parameter.
std::string oid_array(const std::vector<unsigned>& oids);
// "schema"."name"
std::string qualified_name(std::string_view schema, std::string_view name);

}  // namespace sandboxctl::pg
