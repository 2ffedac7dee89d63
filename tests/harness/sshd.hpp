#pragma once
// A throwaway OpenSSH server on a free loopback port for transport tests:
// its own host key, a client key authorized for the current user, and an
// ssh_config that the tool is pointed at with SANDBOXCTL_SSH_COMMAND.
#include <filesystem>
#include <string>

#include "core/temp_dir.hpp"

namespace sandboxctl::test {

class Sshd {
public:
    Sshd();
    ~Sshd();
    Sshd(const Sshd&) = delete;
    Sshd& operator=(const Sshd&) = delete;

    int port() const { return port_; }
    // The value for SANDBOXCTL_SSH_COMMAND.
    std::string ssh_command() const;
    // ssh://127.0.0.1:PORT/path
    std::string location(const std::filesystem::path& path) const;

private:
    TempDir dir_;
    int port_ = 0;
    int pid_ = -1;
};

}  // namespace sandboxctl::test
