#include "harness/failpoint.hpp"

#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "harness/tool.hpp"

namespace sandboxctl::test {

std::vector<std::pair<std::string, std::string>> FailpointDriver::env(const std::string& point) const {
    std::filesystem::remove(file_);
    return {{"SANDBOXCTL_FAILPOINT", point}, {"SANDBOXCTL_FAILPOINT_FILE", file_.string()}};
}

bool FailpointDriver::wait_reached(double seconds) const {
    return wait_until([&] { return std::filesystem::exists(file_); }, seconds);
}

std::string FailpointDriver::point() const {
    std::ifstream in(file_);
    std::string pid, rest;
    in >> pid;
    std::getline(in >> std::ws, rest);
    return rest;
}

void FailpointDriver::release() const { std::filesystem::remove(file_); }

std::vector<std::string> FailpointDriver::discover(const std::vector<std::string>& args,
                                                   std::vector<std::pair<std::string, std::string>> env,
                                                   int& exit_code) const {
    auto hook = this->env("*");
    env.insert(env.end(), hook.begin(), hook.end());
    BackgroundTool tool(args, env);
    std::vector<std::string> points;
    for (;;) {
        bool reached = wait_until([&] { return std::filesystem::exists(file_) || tool.exited(); }, 120);
        if (!reached || !std::filesystem::exists(file_)) break;
        points.push_back(point());
        release();
    }
    exit_code = tool.finish().exit_code;
    return points;
}

std::vector<std::string> temp_dirs_of(int pid) {
    std::vector<std::string> found;
    std::string marker = "." + std::to_string(pid) + ".";
    for (const auto& entry : std::filesystem::directory_iterator("/tmp")) {
        auto name = entry.path().filename().string();
        if (name.starts_with("sandboxctl-") && name.find(marker) != std::string::npos) found.push_back(name);
    }
    return found;
}

}  // namespace sandboxctl::test
