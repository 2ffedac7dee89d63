#include "sync/sync_plan.hpp"

#include <algorithm>

#include "sync/path_safety.hpp"

namespace sandboxctl::sync {
namespace {

bool differs(const Entry& s, const Entry& d, bool checksum) {
    if (s.type != d.type) return true;
    if (s.type == 'l') return s.target != d.target;
    if (s.type != 'f') return false;
    if (checksum) return s.sha256 != d.sha256;
    return s.size != d.size || s.mtime != d.mtime;
}

void plan_transfer(SyncPlan& plan, const std::string& path, const Entry& entry) {
    if (entry.type == 'd') {
        plan.created_directories.push_back(path);
        plan.attributes.emplace_back(path, entry);
        return;
    }
    plan.to_send.push_back(path);
    if (entry.type == 'l') {
        ++plan.symlinks;
    } else {
        ++plan.files;
        plan.bytes += entry.size;
    }
}

}  // namespace

SyncPlan plan_sync(const Tree& source, const Tree& existing, bool checksum, bool remove_extra) {
    SyncPlan plan;
    for (const auto& [path, entry] : source) {
        if (is_partial(path)) continue;
        if (auto refusal = refusal_reason(path, entry.type, entry.target); !refusal.empty()) {
            plan.refused.emplace_back(path, refusal);
            continue;
        }
        auto it = existing.find(path);
        if (it == existing.end() || differs(entry, it->second, checksum)) {
            if (it != existing.end() && it->second.type != entry.type) plan.replaced.push_back(path);
            plan_transfer(plan, path, entry);
        } else {
            ++plan.unchanged;
            if (entry.type != 'l' && (it->second.mode != entry.mode || it->second.mtime != entry.mtime)) {
                plan.attributes.emplace_back(path, entry);
            }
        }
    }
    if (remove_extra) {
        for (auto it = existing.rbegin(); it != existing.rend(); ++it) {
            if (!source.contains(it->first) && !is_partial(it->first)) plan.deleted.push_back(it->first);
        }
    }
    // Deepest first, so setting a directory's mtime is not undone by its children.
    std::sort(plan.attributes.begin(), plan.attributes.end(),
              [](const auto& a, const auto& b) { return a.first > b.first; });
    return plan;
}

SyncReport predicted_report(const SyncPlan& plan) {
    SyncReport report;
    report.dry_run = true;
    report.files_transferred = plan.files;
    report.bytes_transferred = plan.bytes;
    report.symlinks_transferred = plan.symlinks;
    report.directories_created = static_cast<long long>(plan.created_directories.size());
    report.unchanged = plan.unchanged;
    report.attributes_updated = static_cast<long long>(plan.attributes.size());
    report.deleted = plan.deleted;
    report.refused = plan.refused;
    return report;
}

}  // namespace sandboxctl::sync
