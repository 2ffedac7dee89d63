#include "core/failpoint.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

namespace sandboxctl::failpoint {

void reach(std::string_view point) {
    const char* wanted = std::getenv("SANDBOXCTL_FAILPOINT");
    const char* file = std::getenv("SANDBOXCTL_FAILPOINT_FILE");
    if (!wanted || !file || (std::string_view(wanted) != "*" && point != wanted)) return;
    std::string staging = std::string(file) + ".new";
    std::ofstream(staging) << ::getpid() << ' ' << point << '\n';
    std::rename(staging.c_str(), file);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
    struct stat st {};
    while (::stat(file, &st) == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

}  // namespace sandboxctl::failpoint
