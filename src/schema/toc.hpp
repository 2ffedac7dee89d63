#pragma once
// The table of contents of a pg_dump archive, as `pg_restore --list` prints it,
// and the filtered list handed back to `pg_restore --use-list`: entries left
// out are commented with ';', as pg_restore documents.
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::schema {

struct TocEntry {
    std::string line;  // the original line, written back verbatim when kept
    int dump_id = 0;
    unsigned catalog_oid = 0;
    unsigned object_oid = 0;
    std::string desc;    // "TABLE", "FK CONSTRAINT", "COMMENT", ...
    std::string schema;  // "-" when none
    std::string tag;     // the object's name as pg_dump labels it
    std::string owner;   // may be empty (extensions)
    bool keep = true;
    std::string reason;  // why it is left out, when !keep
};

// Names with spaces make the list ambiguous; knowing every role and schema
// name (longest first) resolves it.
struct TocNames {
    std::vector<std::string> roles;
    std::vector<std::string> schemas;
};

// Parses `pg_restore --list` output; comment and blank lines are skipped.
// Throws a failure on a line it cannot read.
std::vector<TocEntry> parse_toc(std::string_view list, const TocNames& names);

// The list for --use-list: kept entries verbatim, others commented out.
std::string render_toc(const std::vector<TocEntry>& entries);

}  // namespace sandboxctl::schema
