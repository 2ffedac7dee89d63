#include "kubernetes/kubectl.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>
#include <regex>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/number.hpp"
#include "core/process.hpp"

namespace sandboxctl::kubernetes {
namespace {

// Each call is bounded: an API server that does not answer cannot hold the
// run (nor the restore on its way out).
constexpr const char* request_timeout = "--request-timeout=30s";
// And the process itself, for a kubectl (or a wrapper) that ignores its own
// timeout: past this it is stopped.
constexpr std::chrono::seconds process_deadline{45};
constexpr int minimum_minor = 24;

std::string rbac_hint(const config::Workload& workload, const std::string& namespace_name) {
    return fmt::format("The account kubectl uses needs get and patch on {}s/scale (API group apps) and list on pods "
                       "in namespace {}; see docs/manual.md#stopping-the-application-on-kubernetes.",
                       workload.kind, namespace_name);
}

// The number a version field starts with: kubectl's "minor" may carry a
// suffix ("32+" on some distributions).
int leading_number(const std::string& text) {
    auto number = to_integer(std::string_view(text).substr(0, text.find_first_not_of("0123456789")));
    return number && *number <= 100000 ? static_cast<int>(*number) : 0;
}

nlohmann::json parse_json(const std::string& text, const std::string& what) {
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
        throw failure(fmt::format("could not {}: kubectl printed no JSON ({})", what, e.what()));
    }
}

}  // namespace

namespace {

// kubectl's reason for a failure, from its stderr: its own error lines
// ("Error from server (Forbidden): ..."), without client-go's log lines.
std::string kubectl_reason(const std::string& stderr_text) {
    // client-go's log lines: "E1130 22:36:27.470289   23674 memcache.go:265] ..."
    static const std::regex klog(R"(^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ \S+:\d+\] )");
    std::string own, logged;
    std::size_t start = 0;
    while (start < stderr_text.size()) {
        auto end = stderr_text.find('\n', start);
        if (end == std::string::npos) end = stderr_text.size();
        std::string line = stderr_text.substr(start, end - start);
        start = end + 1;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        if (std::regex_search(line, klog)) {
            logged = line;
        } else {
            own += (own.empty() ? "" : "; ") + line;
        }
    }
    return own.empty() ? logged : own;
}

}  // namespace

Kubectl::Kubectl(const config::KubernetesSettings& settings) : settings_(settings) {}

std::string Kubectl::run(std::vector<std::string> arguments, const std::string& what, const std::string& hint,
                         Interruptible interruptible) const {
    std::vector<std::string> argv = {settings_.kubectl, request_timeout};
    if (!settings_.kubeconfig.empty()) argv.push_back("--kubeconfig=" + settings_.kubeconfig);
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    ProcessSpec spec{argv, {}};
    spec.interruptible = interruptible == Interruptible::yes;
    spec.deadline = process_deadline;
    // An interrupt, or a kubectl that cannot be started, throws its own error.
    ProcessResult result = run_process(spec);
    if (!result.succeeded()) {
        std::string reason = kubectl_reason(result.err);
        if (reason.empty()) {
            reason = result.signal ? "kubectl was terminated by a signal"
                                   : fmt::format("kubectl exited with status {}", result.exit_status);
        }
        throw failure(fmt::format("could not {}: {}", what, reason), hint);
    }
    return result.out;
}

void Kubectl::require_usable() const {
    const std::string what = fmt::format("run \"{}\"", settings_.kubectl);
    const std::string install = "Install kubectl 1.24 or later, or give its path as kubectl in [kubernetes].";
    std::string out;
    try {
        out = run({"version", "--client", "--output=json"}, what, install, Interruptible::yes);
    } catch (const Error& e) {
        // Not installed: "could not run ...: No such file or directory".
        if (e.hint() == install || interrupt::requested()) throw;
        throw failure(e.what(), install);
    }
    auto version = parse_json(out, what).value("clientVersion", nlohmann::json::object());
    int major = leading_number(version.value("major", ""));
    int minor = leading_number(version.value("minor", ""));
    if (major < 1 || (major == 1 && minor < minimum_minor)) {
        throw failure(fmt::format("\"{}\" is kubectl {}, too old to scale through the scale subresource",
                                  settings_.kubectl, version.value("gitVersion", "of an unknown version")),
                      "Install kubectl 1.24 or later (for --subresource), or give its path as kubectl in "
                      "[kubernetes].");
    }
}

Scale Kubectl::scale(const config::Workload& workload, Interruptible interruptible) const {
    std::string what =
        fmt::format("read the replicas of {} in namespace {}", workload.display(), settings_.namespace_name);
    auto doc = parse_json(run({"get", workload.display(), "--subresource=scale",
                               "--namespace=" + settings_.namespace_name, "--output=json"},
                              what, rbac_hint(workload, settings_.namespace_name), interruptible),
                          what);
    Scale scale;
    try {
        // ScaleSpec.replicas is omitted when it is 0.
        scale.replicas = doc.value("spec", nlohmann::json::object()).value("replicas", 0);
        scale.selector = doc.value("status", nlohmann::json::object()).value("selector", "");
    } catch (const nlohmann::json::exception& e) {
        throw failure(fmt::format("could not {}: unexpected scale object ({})", what, e.what()));
    }
    if (scale.selector.empty()) {
        throw failure(fmt::format("could not find the pods of {} in namespace {}: its scale subresource names no "
                                  "selector",
                                  workload.display(), settings_.namespace_name),
                      "Only a Deployment or StatefulSet with a selector can be stopped and waited for.");
    }
    return scale;
}

void Kubectl::set_replicas(const config::Workload& workload, int replicas, Interruptible interruptible) const {
    std::string what =
        fmt::format("scale {} in namespace {} to {} replicas", workload.display(), settings_.namespace_name, replicas);
    nlohmann::json patch = {{"spec", {{"replicas", replicas}}}};
    run({"patch", workload.display(), "--subresource=scale", "--namespace=" + settings_.namespace_name, "--type=merge",
         "--patch=" + patch.dump()},
        what, rbac_hint(workload, settings_.namespace_name), interruptible);
}

std::vector<std::string> Kubectl::pods(const config::Workload& workload, const std::string& selector) const {
    std::string what = fmt::format("list the pods of {} in namespace {}", workload.display(), settings_.namespace_name);
    auto doc = parse_json(
        run({"get", "pods", "--namespace=" + settings_.namespace_name, "--selector=" + selector, "--output=json"}, what,
            rbac_hint(workload, settings_.namespace_name), Interruptible::yes),
        what);
    std::vector<std::string> names;
    try {
        for (const auto& pod : doc.value("items", nlohmann::json::array())) {
            names.push_back(pod.at("metadata").at("name").get<std::string>());
        }
    } catch (const nlohmann::json::exception& e) {
        throw failure(fmt::format("could not {}: unexpected pod list ({})", what, e.what()));
    }
    return names;
}

}  // namespace sandboxctl::kubernetes
