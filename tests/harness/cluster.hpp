#pragma once
// A throwaway PostgreSQL cluster for tests: initdb + pg_ctl from the Debian
// packages, on a free loopback port, with its socket in a private directory.
// When the tests run as root, the server runs as the unprivileged `postgres`
// user. Local socket connections trust the OS user; TCP connections require
// SCRAM passwords, so the tool's password handling is exercised for real.
// The cross-server tests add a second cluster for prod: another one started
// here, or one started elsewhere (another PostgreSQL version) and attached to.
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sandboxctl::pg {
class Connection;
}

namespace sandboxctl::test {

// A TCP port on 127.0.0.1 that nothing listens on right now.
int free_loopback_port();

// The directory of the PostgreSQL programs the clusters run (the newest
// installed, or $SANDBOXCTL_TEST_PG_BIN); empty when there is none.
std::filesystem::path postgresql_bin_dir();

class Cluster {
public:
    Cluster();
    // Attaches to a running cluster (not stopped on destruction) whose
    // superuser `postgres` is trusted on the socket in `socket_dir`, and
    // which listens on 127.0.0.1:`port`.
    Cluster(std::filesystem::path socket_dir, int port);
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    // One cluster per test program, started on first use.
    static Cluster& shared();
    // Why PostgreSQL could not be started (empty if it runs).
    static std::string unavailable_reason();
    // Prod's cluster of the cross-server tests, started on first use: the one
    // at $SANDBOXCTL_TEST_SOURCE_SOCKET_DIR and $SANDBOXCTL_TEST_SOURCE_PORT
    // when set, else a second cluster like shared().
    static Cluster& source();
    static std::string source_unavailable_reason();

    // The server's major version (e.g. 17).
    int server_major() const;

    int port() const { return port_; }
    const std::filesystem::path& socket_dir() const { return socket_dir_; }
    const std::filesystem::path& bin_dir() const { return bin_dir_; }
    std::filesystem::path server_log() const { return data_dir_ / "server.log"; }

    // Superuser connection over the socket.
    std::string admin_conninfo(const std::string& database = "postgres") const;
    // Password login over TCP; the password is part of the string.
    std::string login_conninfo(const std::string& user, const std::string& password, const std::string& database) const;

    // Runs SQL as the superuser; throws with psql's message on error. Each
    // call is a session of its own, as a psql process is, but for database
    // "postgres" (creating and dropping databases, roles, pg_stat_activity):
    // there one session is kept and reused, its state discarded after each
    // call, and opened again if the server ended it. A new session costs
    // the server a fork and an exit, about 30 ms of CPU on the project's
    // machine, and the suites make thousands of these calls.
    std::string psql(const std::string& database, const std::string& sql) const;
    void psql_file(const std::string& database, const std::filesystem::path& file) const;

    void restart();
    void stop();

private:
    void create();
    void start();
    std::vector<std::string> as_server_user(std::vector<std::string> argv) const;
    std::string psql_on_maintenance_session(const std::string& sql) const;
    void settle_maintenance_session() const;

    std::filesystem::path base_;
    std::filesystem::path data_dir_;
    std::filesystem::path socket_dir_;
    std::filesystem::path bin_dir_;
    int port_ = 0;
    bool running_ = false;
    // The session psql() keeps on database "postgres" (null until its first
    // use, and after a stop or restart: the port changes).
    mutable std::mutex maintenance_mutex_;
    mutable std::unique_ptr<pg::Connection> maintenance_;
};

}  // namespace sandboxctl::test
