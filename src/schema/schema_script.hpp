#pragma once
// Splits a pg_restore SQL script into its entries, so each can be executed
// (and, on failure, reported) on its own inside the refresh transaction.
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::schema {

struct ScriptEntry {
    std::string title;  // "TABLE public.t1" from the entry's header comment; "preamble" first
    std::string sql;
};

// psql meta-commands (\restrict, \unrestrict) are dropped: the script is
// executed through libpq, not psql. So are the attribute options a server
// sets itself (pg_attver, of Debian 13's PostgreSQL 17.12), which pg_dump 18
// dumps and no other server accepts.
std::vector<ScriptEntry> split_script(std::string_view script);

}  // namespace sandboxctl::schema
