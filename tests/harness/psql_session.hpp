#pragma once
// A psql session in the background (holding a lock, say), ended by the
// destructor.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

namespace sandboxctl::test {

class PsqlSession {
public:
    PsqlSession(const std::filesystem::path& psql, const std::string& conninfo, const std::string& sql) {
        pid_ = ::fork();
        if (pid_ == 0) {
            ::execl(psql.c_str(), "psql", "-X", "-q", "-d", conninfo.c_str(), "-c", sql.c_str(),
                    static_cast<char*>(nullptr));
            ::_exit(127);
        }
    }
    ~PsqlSession() {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
    PsqlSession(const PsqlSession&) = delete;
    PsqlSession& operator=(const PsqlSession&) = delete;

private:
    pid_t pid_ = -1;
};

}  // namespace sandboxctl::test
