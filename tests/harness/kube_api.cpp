#include "harness/kube_api.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/process.hpp"

namespace sandboxctl::test {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string status_object(int code, const std::string& reason, const std::string& message) {
    return json{{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", json::object()},
                {"status", "Failure"}, {"message", message}, {"reason", reason},
                {"code", code}}
        .dump();
}

std::string reason_phrase(int status) {
    switch (status) {
        case 200: return "OK";
        case 403: return "Forbidden";
        case 404: return "Not Found";
        case 405: return "Method Not Allowed";
        default: return "Bad Request";
    }
}

std::string url_decode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i] == '+' ? ' ' : text[i];
        }
    }
    return out;
}

std::string query_value(const std::string& query, const std::string& key) {
    std::size_t start = 0;
    while (start <= query.size()) {
        auto end = query.find('&', start);
        if (end == std::string::npos) end = query.size();
        auto pair = query.substr(start, end - start);
        if (pair.rfind(key + "=", 0) == 0) return url_decode(pair.substr(key.size() + 1));
        start = end + 1;
    }
    return {};
}

std::size_t content_length(const std::string& header) {
    std::string lower = header;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower.rfind("content-length:", 0) != 0) return 0;
    return std::stoul(lower.substr(15));
}

// What discovery answers: the core group with pods, apps with the two
// scalable workloads and their scale subresources.
json resource(const std::string& name, const std::string& singular, const std::string& kind,
              std::vector<std::string> verbs, const char* short_name) {
    json r = {{"name", name}, {"singularName", singular}, {"namespaced", true}, {"kind", kind}, {"verbs", verbs}};
    if (short_name) r["shortNames"] = {short_name};
    return r;
}

json scale_resource(const std::string& of) {
    return {{"name", of + "/scale"},
            {"singularName", ""},
            {"namespaced", true},
            {"group", "autoscaling"},
            {"version", "v1"},
            {"kind", "Scale"},
            {"verbs", {"get", "patch", "update"}}};
}

std::optional<std::string> discovery(const std::string& path) {
    if (path == "/version") return json{{"major", "1"}, {"minor", "32"}, {"gitVersion", "v1.32.0-stand-in"}}.dump();
    if (path == "/api") {
        return json{{"kind", "APIVersions"},
                    {"versions", {"v1"}},
                    {"serverAddressByClientCIDRs", {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", "127.0.0.1"}}}}}
            .dump();
    }
    json apps_v1 = {{"groupVersion", "apps/v1"}, {"version", "v1"}};
    if (path == "/apis") {
        return json{{"kind", "APIGroupList"},
                    {"apiVersion", "v1"},
                    {"groups", {{{"name", "apps"}, {"versions", {apps_v1}}, {"preferredVersion", apps_v1}}}}}
            .dump();
    }
    if (path == "/api/v1") {
        return json{{"kind", "APIResourceList"},
                    {"groupVersion", "v1"},
                    {"resources", {resource("pods", "pod", "Pod", {"get", "list"}, "po")}}}
            .dump();
    }
    if (path == "/apis/apps/v1") {
        return json{{"kind", "APIResourceList"},
                    {"apiVersion", "v1"},
                    {"groupVersion", "apps/v1"},
                    {"resources",
                     {resource("deployments", "deployment", "Deployment", {"get", "list", "patch", "update"}, "deploy"),
                      scale_resource("deployments"),
                      resource("statefulsets", "statefulset", "StatefulSet", {"get", "list", "patch", "update"}, "sts"),
                      scale_resource("statefulsets")}}}
            .dump();
    }
    return std::nullopt;
}

}  // namespace

KubeApi::KubeApi(std::string namespace_name)
    : namespace_(std::move(namespace_name)), server_([this](Connection& connection) { serve(connection); }) {}

void KubeApi::add_deployment(const std::string& name, int replicas) {
    std::lock_guard lock(mutex_);
    set_replicas(name, deployments_[name], replicas);
    deployments_[name].history.clear();
}

void KubeApi::scale(const std::string& name, int replicas) {
    std::lock_guard lock(mutex_);
    set_replicas(name, deployments_.at(name), replicas);
}

void KubeApi::set_pod_delay(std::chrono::milliseconds delay) {
    std::lock_guard lock(mutex_);
    pod_delay_ = delay;
}

void KubeApi::set_forbidden(bool forbidden) {
    std::lock_guard lock(mutex_);
    forbidden_ = forbidden;
}

void KubeApi::on_scale(std::function<void(const std::string&, int)> observer) {
    std::lock_guard lock(mutex_);
    observer_ = std::move(observer);
}

int KubeApi::replicas(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return deployments_.at(name).replicas;
}

std::vector<int> KubeApi::scale_history(const std::string& name) const {
    std::lock_guard lock(mutex_);
    return deployments_.at(name).history;
}

std::vector<std::string> KubeApi::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::filesystem::path KubeApi::write_kubeconfig(const std::filesystem::path& dir) const {
    auto path = dir / "stand-in.kubeconfig";
    std::ofstream(path) << fmt::format(R"(apiVersion: v1
kind: Config
clusters:
- name: stand-in
  cluster:
    server: http://127.0.0.1:{}
users:
- name: sandboxctl
  user: {{}}
contexts:
- name: stand-in
  context:
    cluster: stand-in
    user: sandboxctl
current-context: stand-in
)",
                                       port());
    return path;
}

void KubeApi::forget_gone_pods(Deployment& deployment) {
    auto now = Clock::now();
    std::erase_if(deployment.pods, [&](const Pod& p) { return p.gone_at && *p.gone_at <= now; });
}

void KubeApi::set_replicas(const std::string& name, Deployment& deployment, int replicas) {
    forget_gone_pods(deployment);
    deployment.replicas = replicas;
    deployment.history.push_back(replicas);
    ++deployment.generation;
    int running = static_cast<int>(
        std::count_if(deployment.pods.begin(), deployment.pods.end(), [](const Pod& p) { return !p.gone_at; }));
    for (auto it = deployment.pods.rbegin(); it != deployment.pods.rend() && running > replicas; ++it) {
        if (it->gone_at) continue;
        it->gone_at = Clock::now() + pod_delay_;
        --running;
    }
    for (int i = running; i < replicas; ++i) {
        deployment.pods.push_back({fmt::format("{}-{}-{}", name, deployment.generation, i), std::nullopt});
    }
}

std::string KubeApi::scale_json(const std::string& name, const Deployment& deployment) const {
    // ScaleSpec.replicas is omitted when 0, as the API server's JSON does.
    json spec = json::object();
    if (deployment.replicas != 0) spec["replicas"] = deployment.replicas;
    int running = static_cast<int>(
        std::count_if(deployment.pods.begin(), deployment.pods.end(), [](const Pod& p) { return !p.gone_at; }));
    return json{{"kind", "Scale"},
                {"apiVersion", "autoscaling/v1"},
                {"metadata",
                 {{"name", name}, {"namespace", namespace_}, {"resourceVersion", std::to_string(resource_version_)}}},
                {"spec", spec},
                {"status", {{"replicas", running}, {"selector", "app=" + name}}}}
        .dump();
}

KubeApi::Answer KubeApi::scale(const std::string& method, const std::string& name, const std::string& body) {
    std::optional<int> changed;
    std::function<void(const std::string&, int)> observer;
    Answer answer;
    {
        std::lock_guard lock(mutex_);
        auto found = deployments_.find(name);
        if (found == deployments_.end()) {
            return {404, status_object(404, "NotFound", fmt::format("deployments.apps \"{}\" not found", name))};
        }
        if (method == "PATCH" || method == "PUT") {
            json doc = json::parse(body, nullptr, false);
            if (doc.is_discarded() || !doc.contains("spec")) return {400, status_object(400, "BadRequest", "no spec")};
            int replicas = doc["spec"].value("replicas", 0);
            set_replicas(name, found->second, replicas);
            ++resource_version_;
            changed = replicas;
        } else if (method != "GET") {
            return {405, status_object(405, "MethodNotAllowed", method + " is not supported here")};
        }
        forget_gone_pods(found->second);
        answer = {200, scale_json(name, found->second)};
        observer = observer_;
    }
    if (changed && observer) observer(name, *changed);
    return answer;
}

KubeApi::Answer KubeApi::pod_list(const std::string& query) {
    std::lock_guard lock(mutex_);
    std::string selector = query_value(query, "labelSelector");
    json items = json::array();
    for (auto& [name, deployment] : deployments_) {
        if (!selector.empty() && selector != "app=" + name) continue;
        forget_gone_pods(deployment);
        for (const auto& pod : deployment.pods) {
            json metadata = {{"name", pod.name}, {"namespace", namespace_}, {"labels", {{"app", name}}}};
            if (pod.gone_at) metadata["deletionTimestamp"] = "2026-01-01T00:00:00Z";
            items.push_back(
                {{"apiVersion", "v1"}, {"kind", "Pod"}, {"metadata", metadata}, {"status", {{"phase", "Running"}}}});
        }
    }
    return {200, json{{"kind", "PodList"},
                      {"apiVersion", "v1"},
                      {"metadata", {{"resourceVersion", std::to_string(resource_version_)}}},
                      {"items", items}}
                     .dump()};
}

KubeApi::Answer KubeApi::answer(const std::string& method, const std::string& target, const std::string& body) {
    auto question = target.find('?');
    std::string path = target.substr(0, question);
    std::string query = question == std::string::npos ? "" : target.substr(question + 1);
    if (method == "GET") {
        if (auto found = discovery(path)) return {200, *found};
    }
    {
        std::lock_guard lock(mutex_);
        if (forbidden_) {
            // The API server's wording: "<resource> "<name>" is forbidden: User
            // "<account>" cannot <verb> resource "<resource>" in API group ...".
            const std::string scale_prefix = "/apis/apps/v1/namespaces/" + namespace_ + "/deployments/";
            bool scale = path.rfind(scale_prefix, 0) == 0 && path.ends_with("/scale");
            std::string object =
                scale ? fmt::format("deployments.apps \"{}\"",
                                    path.substr(scale_prefix.size(), path.size() - scale_prefix.size() - 6))
                      : "pods";
            std::string verb = method == "GET" ? (scale ? "get" : "list") : "patch";
            return {403, status_object(403, "Forbidden",
                                       fmt::format("{} is forbidden: User \"system:serviceaccount:{}:sandboxctl\" "
                                                   "cannot {} resource \"{}\" in API group \"{}\" in the namespace "
                                                   "\"{}\"",
                                                   object, namespace_, verb, scale ? "deployments/scale" : "pods",
                                                   scale ? "apps" : "", namespace_))};
        }
    }
    const std::string deployments = "/apis/apps/v1/namespaces/" + namespace_ + "/deployments/";
    if (path.rfind(deployments, 0) == 0 && path.ends_with("/scale")) {
        return scale(method, path.substr(deployments.size(), path.size() - deployments.size() - 6), body);
    }
    if (method == "GET" && path == "/api/v1/namespaces/" + namespace_ + "/pods") return pod_list(query);
    return {404, status_object(404, "NotFound", "the server could not find the requested resource")};
}

void KubeApi::serve(Connection& connection) {
    std::string request_line;
    if (!connection.read_line(request_line)) return;
    std::size_t length = 0;
    std::string header;
    while (connection.read_line(header) && !header.empty()) length = std::max(length, content_length(header));
    std::string body;
    if (length > 0 && !connection.read_bytes(length, body)) return;
    auto first = request_line.find(' ');
    auto second = request_line.find(' ', first + 1);
    std::string method = request_line.substr(0, first);
    std::string target = request_line.substr(first + 1, second - first - 1);
    {
        std::lock_guard lock(mutex_);
        requests_.push_back(method + " " + target + (body.empty() ? "" : " " + body));
    }
    Answer a = answer(method, target, body);
    connection.write(fmt::format("HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
                                 "Connection: close\r\n\r\n{}",
                                 a.status, reason_phrase(a.status), a.body.size(), a.body));
}

std::string kubectl_unavailable() {
    ProcessResult result;
    try {
        result = run_process({{"kubectl", "version", "--client", "--output=json"}, {}});
    } catch (const std::exception& e) {
        return e.what();
    }
    if (!result.succeeded()) return "\"kubectl version --client\" failed: " + result.err;
    auto version = json::parse(result.out, nullptr, false);
    if (version.is_discarded()) return "\"kubectl version --client\" printed no JSON";
    auto client = version.value("clientVersion", json::object());
    std::string minor = client.value("minor", "0");
    if (client.value("major", "0") != "1" || std::atoi(minor.c_str()) < 24) {
        return "kubectl " + client.value("gitVersion", std::string("?")) + " is older than 1.24 (no --subresource)";
    }
    return {};
}

}  // namespace sandboxctl::test
