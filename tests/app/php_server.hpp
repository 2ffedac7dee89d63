#pragma once
// PHP's built-in web server serving one Dolibarr docroot on a free loopback
// port, as a child process: started and ready in the constructor, stopped
// and reaped in the destructor. Its log goes to a file for failure messages.
#include <filesystem>
#include <string>

namespace sandboxctl::test {

class PhpServer {
public:
    PhpServer(const std::filesystem::path& htdocs, int port, const std::filesystem::path& log);
    ~PhpServer();
    PhpServer(const PhpServer&) = delete;
    PhpServer& operator=(const PhpServer&) = delete;

    int port() const { return port_; }
    std::string url(const std::string& path) const;
    std::string log() const;

private:
    int pid_ = -1;
    int port_ = 0;
    std::filesystem::path log_;
};

}  // namespace sandboxctl::test
