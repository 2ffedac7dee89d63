#include "kubernetes/workloads.hpp"

#include <fmt/format.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/atomic_file.hpp"
#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"

namespace sandboxctl::kubernetes {
namespace {

using Clock = std::chrono::steady_clock;

// How often the pods are listed while waiting for them to go.
constexpr std::chrono::milliseconds poll_interval{1000};

void write_record(const std::filesystem::path& path, const Record& record) {
    nlohmann::json workloads = nlohmann::json::array();
    for (const auto& w : record.workloads) {
        workloads.push_back({{"workload", w.workload.display()}, {"replicas", w.replicas}});
    }
    nlohmann::json doc = {{"namespace", record.namespace_name}, {"workloads", workloads}};
    std::filesystem::create_directories(path.parent_path());
    write_file_atomically(path, doc.dump(2) + "\n", "workload record");
}

Record read_record(const std::filesystem::path& path) {
    std::ifstream in(path);
    try {
        auto doc = nlohmann::json::parse(in);
        Record record{doc.at("namespace").get<std::string>(), {}};
        for (const auto& w : doc.at("workloads")) {
            auto text = w.at("workload").get<std::string>();
            auto slash = text.find('/');
            if (slash == std::string::npos) throw failure("\"" + text + "\" is not KIND/NAME");
            record.workloads.push_back({{text.substr(0, slash), text.substr(slash + 1)}, w.at("replicas").get<int>()});
        }
        return record;
    } catch (const std::exception& e) {
        throw failure(fmt::format("the workload record \"{}\" is damaged: {}", path.string(), e.what()),
                      "Set the replicas by hand (kubectl scale), then remove the file.");
    }
}

std::string replicas(int count) { return fmt::format("{} replica{}", count, count == 1 ? "" : "s"); }

// "2min", "30s", "250ms": a duration as the config file writes it.
std::string as_written(std::chrono::milliseconds duration) {
    auto ms = duration.count();
    if (ms != 0 && ms % 60000 == 0) return fmt::format("{}min", ms / 60000);
    if (ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
    return fmt::format("{}ms", ms);
}

void sleep_interruptibly(std::chrono::milliseconds duration) {
    auto until = deadline_after(Clock::now(), duration);
    while (Clock::now() < until) {
        interrupt::throw_if_requested();
        std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(100), until - Clock::now()));
    }
    interrupt::throw_if_requested();
}

// Someone may have scaled a workload while sandboxctl had it stopped; the
// recorded count still wins (the run stopped it), but not silently.
void warn_if_scaled_meanwhile(const Kubectl& kubectl, const RecordedWorkload& w, const std::string& namespace_name) {
    int now = 0;
    try {
        now = kubectl.scale(w.workload, Interruptible::no).replicas;
    } catch (const Error& e) {
        log::detail("could not read the replicas of {} before restoring them: {}", w.workload.display(), e.what());
        return;
    }
    if (now != 0 && now != w.replicas) {
        log::warning("{} in namespace {} was scaled to {} while sandboxctl had it stopped; restoring {}, the count "
                     "recorded before the run",
                     w.workload.display(), namespace_name, replicas(now), replicas(w.replicas));
    }
}

// Every recorded count put back, then the record removed; a workload that
// fails does not stop the others.
void restore_all(const Kubectl& kubectl, const Record& record, const std::filesystem::path& path) {
    std::string failures;
    for (const auto& w : record.workloads) {
        try {
            warn_if_scaled_meanwhile(kubectl, w, record.namespace_name);
            kubectl.set_replicas(w.workload, w.replicas, Interruptible::no);
        } catch (const std::exception& e) {
            failures += (failures.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    if (!failures.empty()) {
        throw failure(failures, fmt::format("The replica counts stay recorded in \"{}\": once the cause is fixed, "
                                            "\"sandboxctl unlock --target ...\" restores them.",
                                            path.string()));
    }
    std::error_code ec;
    std::filesystem::remove(path, ec);
    if (ec) log::warning("could not remove the workload record \"{}\": {}", path.string(), ec.message());
}

}  // namespace

std::string describe(const Record& record) {
    std::string out;
    for (const auto& w : record.workloads) {
        out += (out.empty() ? "" : ", ") + w.workload.display() + " to " + replicas(w.replicas);
    }
    return out + " in namespace " + record.namespace_name;
}

StoppedWorkloads::StoppedWorkloads(const config::KubernetesSettings& settings, std::filesystem::path record)
    : kubectl_(settings), record_path_(std::move(record)) {
    kubectl_.require_usable();
    record_.namespace_name = settings.namespace_name;
    std::vector<std::string> selectors;
    for (const auto& workload : settings.scale) {
        Scale scale = kubectl_.scale(workload);
        record_.workloads.push_back({workload, scale.replicas});
        selectors.push_back(scale.selector);
    }
    // Recorded before the first change: a crash from here on leaves what
    // `unlock` needs.
    write_record(record_path_, record_);
    armed_ = true;
    // The destructor does not run for a constructor that throws.
    try {
        for (const auto& w : record_.workloads) {
            log::info("stopping {} in namespace {} ({})", w.workload.display(), record_.namespace_name,
                      replicas(w.replicas));
            kubectl_.set_replicas(w.workload, 0, Interruptible::yes);
        }
        auto deadline = deadline_after(Clock::now(), settings.wait);
        for (std::size_t i = 0; i < selectors.size(); ++i) {
            const auto& workload = record_.workloads[i].workload;
            for (;;) {
                auto left = kubectl_.pods(workload, selectors[i]);
                if (left.empty()) break;
                if (Clock::now() >= deadline) {
                    std::string names;
                    for (std::size_t n = 0; n < left.size() && n < 5; ++n) names += (n ? ", " : "") + left[n];
                    if (left.size() > 5) names += ", ...";
                    throw failure(
                        fmt::format("timed out after {} waiting for the pods of {} in namespace {} to stop: {} left "
                                    "({})",
                                    as_written(settings.wait), workload.display(), record_.namespace_name, left.size(),
                                    names),
                        fmt::format("The sandbox was not changed and the replicas are restored. Raise wait in "
                                    "[kubernetes] (now \"{}\"), or see what keeps the pods: kubectl describe pod "
                                    "--namespace={} {}",
                                    as_written(settings.wait), record_.namespace_name, left.front()));
                }
                auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
                sleep_interruptibly(std::min(poll_interval, remaining));
            }
        }
        log::detail("the pods of {} are gone", describe(record_));
    } catch (...) {
        try {
            restore();
        } catch (const Error& e) {
            log::error("{}", e.what());
            log::error("HINT: {}", e.hint());
        }
        throw;
    }
}

void StoppedWorkloads::restore() {
    if (!armed_) return;
    armed_ = false;
    restore_all(kubectl_, record_, record_path_);
    log::info("restored {}", describe(record_));
}

StoppedWorkloads::~StoppedWorkloads() {
    try {
        restore();
    } catch (const Error& e) {
        log::error("{}", e.what());
        log::error("HINT: {}", e.hint());
    } catch (const std::exception& e) {
        log::error("{}", e.what());
    }
}

std::optional<Record> restore_recorded(const std::optional<config::KubernetesSettings>& settings,
                                       const std::filesystem::path& record) {
    if (!std::filesystem::exists(record)) return std::nullopt;
    Record recorded = read_record(record);
    auto access = settings.value_or(config::KubernetesSettings{});
    access.namespace_name = recorded.namespace_name;
    restore_all(Kubectl(access), recorded, record);
    return recorded;
}

void restore_after_crash(const std::optional<config::KubernetesSettings>& settings,
                         const std::filesystem::path& record) {
    try {
        if (auto restored = restore_recorded(settings, record)) {
            log::warning("a killed run left workloads stopped: restored {}, as recorded before the crash",
                         describe(*restored));
        }
    } catch (...) {
        rethrow_with_context("could not restore the workloads a killed run stopped");
    }
}

}  // namespace sandboxctl::kubernetes
