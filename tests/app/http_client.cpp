#include "app/http_client.hpp"

#include "app/quoting.hpp"
#include "core/process.hpp"
#include "core/temp_dir.hpp"
#include "harness/tool.hpp"

namespace sandboxctl::test {
HttpResponse http(const HttpRequest& request) {
    TempDir dir("sandboxctl-http");
    std::string config = "url = " + backslash_quoted(request.url, '"') +
                         "\nrequest = " + backslash_quoted(request.method, '"') + "\n" +
                         "output = " + backslash_quoted((dir / "body").string(), '"') + "\nmax-time = 60\n";
    if (request.api_key) config += "header = " + backslash_quoted("DOLAPIKEY: " + *request.api_key, '"') + "\n";
    if (request.json) {
        write_private_file(dir / "request", *request.json);
        config += "header = \"Content-Type: application/json\"\n";
        config += "data-binary = " + backslash_quoted("@" + (dir / "request").string(), '"') + "\n";
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
