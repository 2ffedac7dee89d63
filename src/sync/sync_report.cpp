#include "sync/sync_report.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>

namespace sandboxctl::sync {

void print_text(const SyncReport& r, std::ostream& out) {
    if (r.dry_run) {
        fmt::print(out,
                   "dry run: would transfer {} files ({} bytes) and {} symlinks, create {} directories, update {} "
                   "attributes and delete {} entries; {} unchanged, {} refused\n",
                   r.files_transferred, r.bytes_transferred, r.symlinks_transferred, r.directories_created,
                   r.attributes_updated, r.deleted.size(), r.unchanged, r.refused.size());
    } else {
        fmt::print(out,
                   "{} files ({} bytes) and {} symlinks transferred, {} directories created, {} unchanged, "
                   "{} attribute updates, {} deleted, {} refused\n",
                   r.files_transferred, r.bytes_transferred, r.symlinks_transferred, r.directories_created, r.unchanged,
                   r.attributes_updated, r.deleted.size(), r.refused.size());
    }
    for (const auto& [path, reason] : r.refused) fmt::print(out, "  refused {}: {}\n", path, reason);
    if (r.dry_run) {
        for (const auto& path : r.deleted) fmt::print(out, "  would delete {}\n", path);
    }
}

nlohmann::json to_json(const SyncReport& r) {
    nlohmann::json refused = nlohmann::json::array();
    for (const auto& [path, reason] : r.refused) refused.push_back({{"path", path}, {"reason", reason}});
    return {{"dry_run", r.dry_run},
            {"files_transferred", r.files_transferred},
            {"bytes_transferred", r.bytes_transferred},
            {"symlinks_transferred", r.symlinks_transferred},
            {"directories_created", r.directories_created},
            {"unchanged", r.unchanged},
            {"attributes_updated", r.attributes_updated},
            {"deleted", r.deleted},
            {"refused", refused}};
}

}  // namespace sandboxctl::sync
