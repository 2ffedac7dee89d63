#pragma once
// A stand-in for the Kubernetes API server, enough for the real kubectl to
// stop and restart a Deployment through its scale subresource: discovery
// (/version, /api, /apis, /api/v1, /apis/apps/v1), GET and PATCH (and PUT) of
// /apis/apps/v1/namespaces/NS/deployments/NAME/scale, and GET of
// /api/v1/namespaces/NS/pods?labelSelector=... . Plain HTTP on a loopback
// port, a thread of the test (harness/loopback_server.hpp); no real API
// server runs anywhere. A scale-down marks the extra pods terminating; they
// leave the pod list a set delay later, as a real pod's grace period ends.
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/loopback_server.hpp"

namespace sandboxctl::test {

class KubeApi {
public:
    explicit KubeApi(std::string namespace_name);

    // A Deployment NAME with `replicas` running pods, selected by app=NAME.
    void add_deployment(const std::string& name, int replicas);
    // How long a pod stays listed (terminating) after a scale-down.
    void set_pod_delay(std::chrono::milliseconds delay);
    // Every request but discovery answers 403 with a Status object, as for a
    // service account without the RBAC rules (discovery is open to every
    // authenticated account on a real cluster).
    void set_forbidden(bool forbidden);
    // Called from the server thread when a PATCH or PUT sets a Deployment's
    // replicas, before the answer: what the test wants to observe then.
    void on_scale(std::function<void(const std::string& name, int replicas)> observer);

    // As another client would: sets NAME's replicas now.
    void scale(const std::string& name, int replicas);

    int replicas(const std::string& name) const;
    // The replica counts PATCH/PUT set on NAME, in order.
    std::vector<int> scale_history(const std::string& name) const;
    // "GET /apis/apps/v1/..." (with its query) for each request, in order.
    std::vector<std::string> requests() const;

    // Writes a kubeconfig for this server (no credentials: plain HTTP on
    // loopback) into `dir` and returns its path.
    std::filesystem::path write_kubeconfig(const std::filesystem::path& dir) const;
    int port() const { return server_.port(); }

private:
    struct Pod {
        std::string name;
        std::optional<std::chrono::steady_clock::time_point> gone_at;
    };
    struct Deployment {
        int replicas = 0;
        int generation = 0;
        std::vector<Pod> pods;
        std::vector<int> history;
    };
    struct Answer {
        int status = 200;
        std::string body;
    };

    void serve(Connection& connection);
    Answer answer(const std::string& method, const std::string& target, const std::string& body);
    Answer scale(const std::string& method, const std::string& name, const std::string& body);
    Answer pod_list(const std::string& query);
    void set_replicas(const std::string& name, Deployment& deployment, int replicas);
    void forget_gone_pods(Deployment& deployment);
    std::string scale_json(const std::string& name, const Deployment& deployment) const;

    std::string namespace_;
    mutable std::mutex mutex_;
    std::map<std::string, Deployment> deployments_;
    std::chrono::milliseconds pod_delay_{0};
    bool forbidden_ = false;
    std::function<void(const std::string&, int)> observer_;
    std::vector<std::string> requests_;
    int resource_version_ = 100;
    LoopbackServer server_;  // last: its thread stops before the state goes
};

// Why the kubectl on PATH cannot run the Kubernetes tests (absent, or older
// than 1.24, the first with --subresource); empty when it can.
std::string kubectl_unavailable();

}  // namespace sandboxctl::test
