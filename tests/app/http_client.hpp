#pragma once
// HTTP requests through the curl binary. Everything, the API key included,
// goes into a 0600 curl config file (-K), never onto curl's command line.
#include <optional>
#include <string>

namespace sandboxctl::test {

struct HttpResponse {
    int status = 0;  // 0: no HTTP answer at all
    std::string body;
    std::string error;  // curl's message when status is 0
};

struct HttpRequest {
    std::string method = "GET";
    std::string url;
    std::optional<std::string> api_key;  // sent as Dolibarr's DOLAPIKEY header
    std::optional<std::string> json;     // request body
};

HttpResponse http(const HttpRequest& request);
inline HttpResponse http_get(const std::string& url, std::optional<std::string> api_key = std::nullopt) {
    return http({"GET", url, std::move(api_key), std::nullopt});
}

}  // namespace sandboxctl::test
