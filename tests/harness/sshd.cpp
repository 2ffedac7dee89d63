#include "harness/sshd.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "core/process.hpp"
#include "harness/cluster.hpp"

namespace sandboxctl::test {
namespace {

bool accepts(int port) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return ok;
}

void keygen(const std::filesystem::path& file) {
    auto r = run_process({{"ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", file.string()}, {}});
    if (!r.succeeded()) throw std::runtime_error("ssh-keygen failed: " + r.err);
}

}  // namespace

Sshd::Sshd() : dir_("sandboxctl-sshd") {
    const char* sshd = "/usr/sbin/sshd";
    if (::access(sshd, X_OK) != 0) throw std::runtime_error("no /usr/sbin/sshd (install openssh-server)");
    keygen(dir_ / "host_key");
    keygen(dir_ / "client_key");
    std::filesystem::copy_file(dir_ / "client_key.pub", dir_ / "authorized_keys");
    if (::geteuid() == 0) std::filesystem::create_directories("/run/sshd");
    port_ = free_loopback_port();
    std::ofstream(dir_ / "sshd_config") << "Port " << port_ << "\nListenAddress 127.0.0.1\nHostKey "
                                        << (dir_ / "host_key").string() << "\nAuthorizedKeysFile "
                                        << (dir_ / "authorized_keys").string()
                                        << "\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
                                           "StrictModes no\nUsePAM no\nPermitRootLogin yes\nPidFile "
                                        << (dir_ / "sshd.pid").string() << "\n";
    std::ofstream(dir_ / "ssh_config") << "Host *\n  IdentityFile " << (dir_ / "client_key").string()
                                       << "\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n"
                                          "  LogLevel ERROR\n";
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execl(sshd, sshd, "-D", "-e", "-f", (dir_ / "sshd_config").c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    for (int i = 0; i < 100 && !accepts(port_); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!accepts(port_)) throw std::runtime_error("sshd did not start on port " + std::to_string(port_));
}

Sshd::~Sshd() {
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
}

std::string Sshd::ssh_command() const { return "ssh -F " + (dir_ / "ssh_config").string(); }

std::string Sshd::location(const std::filesystem::path& path) const {
    return "ssh://127.0.0.1:" + std::to_string(port_) + path.string();
}

}  // namespace sandboxctl::test
