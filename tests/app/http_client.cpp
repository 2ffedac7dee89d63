#include "app/http_client.hpp"

#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "harness/tool.hpp"

namespace sandboxctl::test {
namespace {

// A value in curl's config syntax: double-quoted, with \ and " escaped.
std::string quoted(const std::string& value) {
    std::string out = "\"";
    for (char c : value) {
        if (c == '\\' || c == '"') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

HttpResponse http(const HttpRequest& request) {
    TempDir dir("sandboxctl-http");
    std::string config = "url = " + quoted(request.url) + "\nrequest = " + quoted(request.method) + "\n" +
                         "output = " + quoted((dir / "body").string()) + "\nmax-time = 60\n";
    if (request.api_key) config += "header = " + quoted("DOLAPIKEY: " + *request.api_key) + "\n";
    if (request.json) {
        write_private_file(dir / "request", *request.json);
        config += "header = \"Content-Type: application/json\"\n";
        config += "data-binary = " + quoted("@" + (dir / "request").string()) + "\n";
    }
    write_private_file(dir / "config", config);
    auto result = run_process(
        {{"curl", "--silent", "--show-error", "--write-out", "%{http_code}", "--config", (dir / "config").string()},
         {}});
    HttpResponse response;
    try {
        response.status = std::stoi(result.out);
    } catch (const std::exception&) {
        response.status = 0;
    }
    response.body = read_file(dir / "body");
    if (response.status == 0) response.error = result.err;
    return response;
}

}  // namespace sandboxctl::test
