#include "safety/source_session.hpp"

#include "safety/preflight.hpp"

namespace sandboxctl::safety {
namespace {

constexpr const char* begin_read_only = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

}  // namespace

pg::ConnInfo SourceSession::read_only_info(const pg::ConnInfo& info) {
    pg::ConnInfo out = info;
    out.add_server_setting("default_transaction_read_only", "on");
    out.add_server_setting("row_security", "off");
    return out;
}

SourceSession::SourceSession(const pg::ConnInfo& info, std::string_view purpose)
    : info_(read_only_info(info)), conn_(pg::Connection::open(info_, purpose)) {
    conn_.exec(begin_read_only);
    require_read_only(conn_);
    snapshot_ = conn_.query_value("SELECT pg_catalog.pg_export_snapshot()");
}

pg::Connection SourceSession::open_probe(const pg::ConnInfo& info, std::string_view purpose) {
    pg::Connection probe = pg::Connection::open(read_only_info(info), purpose);
    probe.exec(begin_read_only);
    require_read_only(probe);
    return probe;
}

pg::Connection SourceSession::open_reader(std::string_view purpose) const {
    pg::Connection reader = pg::Connection::open(info_, purpose);
    reader.exec(begin_read_only);
    reader.exec("SET TRANSACTION SNAPSHOT " + reader.quote_literal(snapshot_));
    require_read_only(reader);
    return reader;
}

}  // namespace sandboxctl::safety
