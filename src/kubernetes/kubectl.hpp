#pragma once
// kubectl as a child process (argv, no shell), with only the rights the
// sandbox Job's service account needs: get and patch on the scale
// subresource of a Deployment or StatefulSet, list on pods. Credentials stay
// in the kubeconfig (or the pod's service account); none is ever on argv.
#include <string>
#include <vector>

#include "config/settings.hpp"

namespace sandboxctl::kubernetes {

// Whether a call may be cut short by Ctrl-C: stopping may, restoring may not.
enum class Interruptible { yes, no };

// A workload's scale subresource (autoscaling/v1 Scale).
struct Scale {
    int replicas = 0;      // spec.replicas (absent when 0)
    std::string selector;  // status.selector: the label query over its pods
};

class Kubectl {
public:
    // Uses `settings`' kubectl, kubeconfig and namespace.
    explicit Kubectl(const config::KubernetesSettings& settings);

    // Refuses (exit 1) a kubectl that is missing or older than 1.24, the
    // first with --subresource.
    void require_usable() const;
    // The scale of `workload`; throws "could not read the replicas of ...".
    Scale scale(const config::Workload& workload, Interruptible interruptible = Interruptible::yes) const;
    // Sets `workload`'s replicas through its scale subresource (a merge
    // patch); throws "could not scale ...".
    void set_replicas(const config::Workload& workload, int replicas, Interruptible interruptible) const;
    // The names of the pods `selector` matches in the namespace (those
    // terminating included): what is left of `workload`.
    std::vector<std::string> pods(const config::Workload& workload, const std::string& selector) const;

    const std::string& namespace_name() const { return settings_.namespace_name; }

private:
    // kubectl with `arguments`; a failure is "could not WHAT: kubectl's reason"
    // with `hint`.
    std::string run(std::vector<std::string> arguments, const std::string& what, const std::string& hint,
                    Interruptible interruptible) const;

    config::KubernetesSettings settings_;
};

}  // namespace sandboxctl::kubernetes
