#include "plan/copy_plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <functional>

#include "pg/connection.hpp"

namespace sandboxctl::plan {
namespace {

const catalog::NamePattern* first_match(const std::vector<catalog::NamePattern>& patterns, const catalog::Relation& r) {
    for (const auto& p : patterns) {
        if (p.matches(r.schema, r.name)) return &p;
    }
    return nullptr;
}

std::string data_skip_reason(const catalog::Relation& r, const PlanOptions& options) {
    if (const auto* p = first_match(options.exclude_data, r)) return "matched --exclude-data " + p->text();
    return {};
}

bool owned_by_source(const std::string& owner, const catalog::SourceCatalog& catalog, const std::string& role) {
    // In the source database, pg_database_owner stands for the database owner.
    return owner == role || (owner == "pg_database_owner" && catalog.database_owner == role);
}

// Depth-first topological order over the dependencies among `views`.
std::vector<const catalog::Relation*> refresh_order(const std::vector<const catalog::Relation*>& views,
                                                    const catalog::SourceCatalog& catalog) {
    std::vector<const catalog::Relation*> ordered;
    std::set<unsigned> done, visiting;
    std::function<void(const catalog::Relation*)> visit = [&](const catalog::Relation* view) {
        if (done.contains(view->oid) || visiting.contains(view->oid)) return;
        visiting.insert(view->oid);
        for (const auto& [dependent, dependency] : catalog.matview_dependencies) {
            if (dependent != view->oid) continue;
            for (const auto* other : views) {
                if (other->oid == dependency) visit(other);
            }
        }
        done.insert(view->oid);
        ordered.push_back(view);
    };
    for (const auto* view : views) visit(view);
    return ordered;
}

void note_unmatched(const std::vector<catalog::NamePattern>& patterns, const char* option,
                    const catalog::SourceCatalog& catalog, const PlanOptions& options, CopyPlan& plan) {
    for (const auto& p : patterns) {
        bool matched = std::any_of(catalog.relations.begin(), catalog.relations.end(),
                                   [&](const catalog::Relation& r) { return p.matches(r.schema, r.name); });
        if (!matched)
            plan.unmatched_patterns.push_back({option, p.text(), options.optional_patterns.contains(p.text())});
    }
}

}  // namespace

CopyPlan make_plan(const catalog::SourceCatalog& catalog, const PlanOptions& options) {
    CopyPlan plan;
    plan.source_role = options.source_role;
    for (const auto& r : catalog.relations) {
        std::string reason;
        if (r.owner != options.source_role) {
            reason = fmt::format("owned by {}, not {}", r.owner, options.source_role);
        } else if (const auto* p = first_match(options.exclude, r)) {
            reason = "matched --exclude " + p->text();
        }
        if (!reason.empty()) {
            plan.excluded.push_back({r.kind(), r.display(), r.owner, reason});
            plan.dump_exclusions.push_back("--exclude-table=" + r.qualified());
            plan.excluded_oids.insert(r.oid);
            continue;
        }
        plan.relations.push_back(&r);
        if (r.relkind == 'S') {
            plan.sequences.push_back(&r);
            continue;
        }
        if (r.relkind == 'm' && r.populated) plan.matviews.push_back(&r);
        if (!r.holds_rows()) continue;
        if (auto skip = data_skip_reason(r, options); !skip.empty()) {
            plan.data_excluded.push_back({r.kind(), r.display(), r.owner, skip});
            continue;
        }
        if (r.row_security_applies) plan.row_security_blocked.push_back(&r);
        plan.data.push_back(&r);
        plan.data_bytes += r.bytes;
    }
    plan.matviews = refresh_order(plan.matviews, catalog);
    note_unmatched(options.exclude, "--exclude", catalog, options, plan);
    note_unmatched(options.exclude_data, "--exclude-data", catalog, options, plan);
    std::set<unsigned> data_excluded_oids, copied_oids;
    for (const auto& r : catalog.relations) {
        if (!plan.excluded_oids.contains(r.oid) && r.holds_rows() && !data_skip_reason(r, options).empty()) {
            data_excluded_oids.insert(r.oid);
        }
    }
    for (const auto* r : plan.data) copied_oids.insert(r->oid);
    for (const auto& fk : catalog.foreign_keys) {
        if (copied_oids.contains(fk.table_oid) && data_excluded_oids.contains(fk.referenced_oid)) {
            plan.keys_into_data_excluded.push_back(&fk);
        }
    }
    for (const auto& object : catalog.objects) {
        if (owned_by_source(object.owner, catalog, options.source_role)) continue;
        if (object.kind == "schema" && object.identity == "public") continue;
        std::string reason = fmt::format("owned by {}, not {}", object.owner, options.source_role);
        if (object.kind == "extension") reason += "; restored as CREATE EXTENSION IF NOT EXISTS";
        plan.excluded.push_back({object.kind, object.identity, object.owner, reason});
    }
    return plan;
}

void filter_toc(std::vector<schema::TocEntry>& entries, const catalog::SourceCatalog& catalog, CopyPlan& plan) {
    std::set<std::pair<std::string, std::string>> dropped_keys;  // (schema, "table constraint")
    for (const auto& fk : catalog.foreign_keys) {
        if (plan.excluded_oids.contains(fk.table_oid) || !plan.excluded_oids.contains(fk.referenced_oid)) continue;
        dropped_keys.insert({fk.schema, fk.table + " " + fk.name});
        const auto* referenced = catalog.find(fk.referenced_oid);
        plan.excluded.push_back({"foreign key", fk.schema + "." + fk.table + "." + fk.name, "",
                                 "references excluded table " + (referenced ? referenced->display() : "?")});
    }
    for (auto& entry : entries) {
        if (entry.desc == "EXTENSION") continue;  // CREATE EXTENSION IF NOT EXISTS: harmless, often needed
        if (entry.desc == "FK CONSTRAINT" && dropped_keys.contains({entry.schema, entry.tag})) {
            entry.keep = false;
            entry.reason = "references an excluded table";
        } else if (!owned_by_source(entry.owner, catalog, plan.source_role)) {
            entry.keep = false;
            entry.reason = entry.owner.empty() ? "belongs to an extension"
                                               : fmt::format("owned by {}, not {}", entry.owner, plan.source_role);
        }
    }
}

}  // namespace sandboxctl::plan
