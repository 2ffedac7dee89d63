#pragma once
// Stopping the sandbox application on Kubernetes for the destructive part of
// a run ([kubernetes] in the config): each workload's replica count is
// recorded in a state file (written atomically, before anything is scaled),
// the workloads are scaled to 0 and their pods waited for, and the recorded
// counts are put back on every exit path the process survives. After a crash
// the record stays, and `unlock` or the next refresh or reset restores it
// first (restore_recorded). The record is removed only once every workload
// is restored.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.hpp"
#include "kubernetes/kubectl.hpp"

namespace sandboxctl::kubernetes {

struct RecordedWorkload {
    config::Workload workload;
    int replicas = 0;
};

// What a record holds: the namespace and each workload's replicas before
// the run stopped it.
struct Record {
    std::string namespace_name;
    std::vector<RecordedWorkload> workloads;
};

class StoppedWorkloads {
public:
    // Reads each workload's replicas, records them in `record` (a file of
    // the state directory), scales the workloads to 0 and waits up to
    // `settings.wait` until their pods are gone. On any failure (a kubectl
    // error, the wait running out, Ctrl-C) restores what it recorded, then
    // throws.
    StoppedWorkloads(const config::KubernetesSettings& settings, std::filesystem::path record);
    // Restores, if restore() did not run; a failure is printed, with the
    // hint to run `sandboxctl unlock`.
    ~StoppedWorkloads();
    StoppedWorkloads(const StoppedWorkloads&) = delete;
    StoppedWorkloads& operator=(const StoppedWorkloads&) = delete;

    // Puts every recorded count back (not interruptible: it runs after
    // Ctrl-C too) and removes the record. Throws when a workload could not
    // be restored; the record then stays for `unlock`. Runs once.
    void restore();

private:
    Kubectl kubectl_;
    std::filesystem::path record_path_;
    Record record_;
    bool armed_ = false;
};

// The kind of state file (safety::database_state_file) that holds the
// record of a sandbox.
inline constexpr const char* record_kind = "workloads";

// Restores what a crashed run recorded in `record` with `settings`' kubectl
// and kubeconfig (kubectl's defaults without [kubernetes]; the namespace
// and workloads come from the record), removes the record and returns it;
// nothing when there is no record. Throws when a workload cannot be
// restored; the record then stays.
std::optional<Record> restore_recorded(const std::optional<config::KubernetesSettings>& settings,
                                       const std::filesystem::path& record);

// Refresh and reset, before anything else: restore_recorded, saying so on
// stderr; a failure names the workload and stops the run (exit 1).
void restore_after_crash(const std::optional<config::KubernetesSettings>& settings,
                         const std::filesystem::path& record);

// "deployment/erp-sandbox to 3 replicas in namespace erp", for messages.
std::string describe(const Record& record);

}  // namespace sandboxctl::kubernetes
