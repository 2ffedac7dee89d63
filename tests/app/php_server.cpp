#include "app/php_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>
#include <vector>

#include "core/fd.hpp"
#include "harness/tool.hpp"

namespace sandboxctl::test {
namespace {

bool accepts_connections(int port) {
    Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port));
    return fd && ::connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
}

}  // namespace

PhpServer::PhpServer(const std::filesystem::path& htdocs, int port, const std::filesystem::path& log)
    : port_(port), log_(log) {
    std::vector<std::string> args = {"php", "-S", "127.0.0.1:" + std::to_string(port), "-t", htdocs.string()};
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("could not fork the PHP web server");
    if (pid_ == 0) {
        int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
        ::dup2(out, 1);
        ::dup2(out, 2);
        // Dolibarr finds conf/conf.php relative to the working directory first.
        if (::chdir(htdocs.c_str()) != 0) ::_exit(126);
        std::vector<char*> argv;
        for (auto& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        ::execvp(argv[0], argv.data());
        ::_exit(127);
    }
    if (!wait_until([&] { return accepts_connections(port_); }, 15)) {
        throw std::runtime_error("the PHP web server did not listen on port " + std::to_string(port_) + ": " +
                                 this->log());
    }
}

PhpServer::~PhpServer() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
}

std::string PhpServer::url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }

std::string PhpServer::log() const { return read_file(log_); }

}  // namespace sandboxctl::test
