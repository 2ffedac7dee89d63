#pragma once
// The only way sandboxctl reads a source database. Every session is opened with
// default_transaction_read_only=on and row_security=off (so a row-level
// security policy raises an error instead of silently hiding rows), runs in a
// REPEATABLE READ READ ONLY transaction, and is checked with
// SHOW transaction_read_only before its first read. All sessions share the
// snapshot exported by the first one.
#include <string>

#include "pg/connection.hpp"

namespace sandboxctl::safety {

class SourceSession {
public:
    // `info` is copied and given the read-only settings.
    SourceSession(const pg::ConnInfo& info, std::string_view purpose);

    pg::Connection& conn() { return conn_; }
    const pg::ConnInfo& info() const { return info_; }
    const std::string& snapshot() const { return snapshot_; }

    // Another read-only session at the same snapshot (for COPY readers).
    pg::Connection open_reader(std::string_view purpose) const;

    static pg::ConnInfo read_only_info(const pg::ConnInfo& info);

    // A lone read-only session on a source database that is not part of a
    // copy (doctor's probe with other credentials): same settings, own
    // transaction, checked before use.
    static pg::Connection open_probe(const pg::ConnInfo& info, std::string_view purpose);

private:
    pg::ConnInfo info_;
    pg::Connection conn_;
    std::string snapshot_;
};

}  // namespace sandboxctl::safety
