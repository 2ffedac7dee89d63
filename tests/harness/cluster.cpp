#include "harness/cluster.hpp"

#include <arpa/inet.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "core/process.hpp"
#include "pg/connection.hpp"

namespace sandboxctl::test {
namespace {

std::filesystem::path find_bin_dir() {
    if (const char* dir = std::getenv("SANDBOXCTL_TEST_PG_BIN")) {
        if (!std::filesystem::exists(std::filesystem::path(dir) / "initdb")) {
            throw std::runtime_error(std::string("no PostgreSQL server in $SANDBOXCTL_TEST_PG_BIN (") + dir + ")");
        }
        return dir;
    }
    for (int major = 18; major >= 13; --major) {
        std::filesystem::path dir = "/usr/lib/postgresql/" + std::to_string(major) + "/bin";
        if (std::filesystem::exists(dir / "initdb")) return dir;
    }
    throw std::runtime_error("no PostgreSQL server found under /usr/lib/postgresql/*/bin (install postgresql-15)");
}

}  // namespace

std::filesystem::path postgresql_bin_dir() {
    try {
        return find_bin_dir();
    } catch (const std::exception&) {
        return {};
    }
}

int free_loopback_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        ::close(fd);
        throw std::runtime_error("could not find a free loopback port");
    }
    int port = ntohs(address.sin_port);
    ::close(fd);
    return port;
}

namespace {

void run_or_throw(const ProcessSpec& spec) {
    auto result = run_process(spec);
    if (!result.succeeded()) throw std::runtime_error(spec.argv.front() + " failed: " + result.out + result.err);
}

// A cluster made on first use and destroyed at exit, or why it could not be.
struct LazyCluster {
    std::unique_ptr<Cluster> instance;
    std::string failure;
};

LazyCluster& shared_cluster() {
    static LazyCluster lazy;
    return lazy;
}

LazyCluster& source_cluster() {
    static LazyCluster lazy;
    return lazy;
}

std::unique_ptr<Cluster> make_source_cluster() {
    const char* socket_dir = std::getenv("SANDBOXCTL_TEST_SOURCE_SOCKET_DIR");
    const char* port = std::getenv("SANDBOXCTL_TEST_SOURCE_PORT");
    if (!socket_dir || !port) return std::make_unique<Cluster>();
    return std::make_unique<Cluster>(socket_dir, std::stoi(port));
}

Cluster& get(LazyCluster& lazy, std::unique_ptr<Cluster> (*make)(), void (*at_exit)()) {
    if (!lazy.instance && lazy.failure.empty()) {
        try {
            lazy.instance = make();
            std::atexit(at_exit);
        } catch (const std::exception& e) {
            lazy.failure = e.what();
        }
    }
    if (!lazy.instance) throw std::runtime_error("PostgreSQL test cluster unavailable: " + lazy.failure);
    return *lazy.instance;
}

}  // namespace

Cluster::Cluster() {
    bin_dir_ = find_bin_dir();
    char pattern[] = "/tmp/sandboxctl-test-pg.XXXXXX";
    if (!mkdtemp(pattern)) throw std::runtime_error("could not create a temporary directory");
    base_ = pattern;
    // The destructor does not run for a constructor that throws: the
    // directory goes here (initdb fails, for one, without PostgreSQL).
    try {
        create();
    } catch (...) {
        std::error_code ignored;
        std::filesystem::remove_all(base_, ignored);
        throw;
    }
}

void Cluster::create() {
    data_dir_ = base_ / "data";
    socket_dir_ = base_ / "socket";
    std::filesystem::create_directories(socket_dir_);
    if (::geteuid() == 0) {
        passwd* pw = ::getpwnam("postgres");
        if (!pw) throw std::runtime_error("running as root, but there is no unprivileged 'postgres' user");
        std::filesystem::permissions(base_, std::filesystem::perms::owner_all | std::filesystem::perms::group_exec |
                                                std::filesystem::perms::others_exec);
        std::filesystem::create_directories(data_dir_);
        for (const auto& dir : {data_dir_, socket_dir_}) {
            if (::chown(dir.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("chown failed");
        }
    }
    run_or_throw({as_server_user({(bin_dir_ / "initdb").string(), "--pgdata=" + data_dir_.string(),
                                  "--username=postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                                  "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"}),
                  {}});
    start();
}

Cluster::Cluster(std::filesystem::path socket_dir, int port)
    : socket_dir_(std::move(socket_dir)), bin_dir_(find_bin_dir()), port_(port) {
    psql("postgres", "SELECT 1");
}

Cluster::~Cluster() {
    stop();
    std::error_code ignored;
    if (!base_.empty()) std::filesystem::remove_all(base_, ignored);
}

std::vector<std::string> Cluster::as_server_user(std::vector<std::string> argv) const {
    if (::geteuid() != 0) return argv;
    argv.insert(argv.begin(), {"runuser", "-u", "postgres", "--"});
    return argv;
}

void Cluster::start() {
    for (int attempt = 0; attempt < 5; ++attempt) {
        port_ = free_loopback_port();
        std::string options = "-c listen_addresses=127.0.0.1 -c port=" + std::to_string(port_) +
                              " -c unix_socket_directories=" + socket_dir_.string() +
                              " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
                              " -c max_connections=60 -c shared_buffers=128MB -c log_min_messages=warning";
        auto result = run_process({as_server_user({(bin_dir_ / "pg_ctl").string(), "--pgdata=" + data_dir_.string(),
                                                   "--log=" + (data_dir_ / "server.log").string(), "--wait",
                                                   "--options=" + options, "start"}),
                                   {}});
        if (result.succeeded()) {
            running_ = true;
            return;
        }
    }
    std::ifstream log(data_dir_ / "server.log");
    std::stringstream text;
    text << log.rdbuf();
    throw std::runtime_error("pg_ctl could not start the test cluster:\n" + text.str());
}

void Cluster::stop() {
    {
        std::lock_guard lock(maintenance_mutex_);
        maintenance_.reset();
    }
    if (!running_) return;
    run_process({as_server_user({(bin_dir_ / "pg_ctl").string(), "--pgdata=" + data_dir_.string(), "--mode=fast",
                                 "--wait", "stop"}),
                 {}});
    running_ = false;
}

void Cluster::restart() {
    if (base_.empty()) throw std::runtime_error("an attached cluster cannot be restarted");
    stop();
    start();
}

Cluster& Cluster::shared() {
    return get(
        shared_cluster(), [] { return std::make_unique<Cluster>(); }, [] { shared_cluster().instance.reset(); });
}

namespace {

// Why `get` cannot give a cluster, or "" once it has one.
std::string failure_of(Cluster& (*get)()) {
    try {
        get();
    } catch (const std::exception& e) {
        return e.what();
    }
    return {};
}

}  // namespace

std::string Cluster::unavailable_reason() { return failure_of(&Cluster::shared); }

Cluster& Cluster::source() {
    return get(source_cluster(), make_source_cluster, [] { source_cluster().instance.reset(); });
}

std::string Cluster::source_unavailable_reason() { return failure_of(&Cluster::source); }

int Cluster::server_major() const { return std::stoi(psql("postgres", "SHOW server_version_num")) / 10000; }

std::string Cluster::admin_conninfo(const std::string& database) const {
    return "host=" + socket_dir_.string() + " port=" + std::to_string(port_) + " user=postgres dbname='" + database +
           "'";
}

std::string Cluster::login_conninfo(const std::string& user, const std::string& password,
                                    const std::string& database) const {
    return "host=127.0.0.1 port=" + std::to_string(port_) + " user='" + user + "' password='" + password +
           "' dbname='" + database + "'";
}

namespace {

// A result's rows as `psql -A -t` prints them: fields joined by '|', NULL as
// nothing, a newline after each row.
void append_rows(const pg::Result& result, std::string& out) {
    for (int row = 0; row < result.rows(); ++row) {
        for (int column = 0; column < result.columns(); ++column) {
            if (column > 0) out += '|';
            out += result.get(row, column);
        }
        out += '\n';
    }
}

// Sends `sql` in one Query message, as `psql -c` does (one implicit
// transaction), and returns every statement's rows, as psql 15+ prints them.
std::string simple_query(pg::Connection& conn, const std::string& sql) {
    if (PQsendQuery(conn.raw(), sql.c_str()) == 0) {
        throw std::runtime_error("psql failed: " + std::string(PQerrorMessage(conn.raw())));
    }
    std::string out, error;
    while (PGresult* next = PQgetResult(conn.raw())) {
        pg::Result result(next);
        switch (result.status()) {
            case PGRES_TUPLES_OK: append_rows(result, out); break;
            case PGRES_COMMAND_OK:
            case PGRES_EMPTY_QUERY: break;
            case PGRES_COPY_IN:
            case PGRES_COPY_OUT:
            case PGRES_COPY_BOTH: throw std::runtime_error("psql failed: COPY is not supported here (psql_file is)");
            default:
                if (error.empty()) error = PQresultErrorMessage(result.raw());
                if (error.empty()) error = std::string("unexpected result ") + PQresStatus(result.status());
        }
    }
    if (!error.empty()) throw std::runtime_error("psql failed: " + error);
    return out;
}

bool broken(const pg::Connection& conn) { return PQstatus(conn.raw()) != CONNECTION_OK; }

// pg::Connection: its RAII, its error wording, notices kept out of the output.
pg::Connection open_admin_session(const Cluster& cluster, const std::string& database) {
    return pg::Connection::open(pg::ConnInfo::parse(cluster.admin_conninfo(database), "test"), "test-psql");
}

}  // namespace

// Through libpq, not a psql process: the suites run it thousands of times,
// and a process and psql's start cost more than the statement.
std::string Cluster::psql(const std::string& database, const std::string& sql) const {
    if (database == "postgres") return psql_on_maintenance_session(sql);
    auto conn = open_admin_session(*this, database);
    return simple_query(conn, sql);
}

std::string Cluster::psql_on_maintenance_session(const std::string& sql) const {
    std::lock_guard lock(maintenance_mutex_);
    for (;;) {
        bool reused = maintenance_ != nullptr;
        if (!reused) {
            maintenance_ = std::make_unique<pg::Connection>(open_admin_session(*this, "postgres"));
        }
        try {
            auto out = simple_query(*maintenance_, sql);
            settle_maintenance_session();
            return out;
        } catch (const std::runtime_error&) {
            // Ended by the server since its last use (a restart, a test's
            // pg_terminate_backend): the statement never ran, and runs once
            // more on a new session. Any other error is the statement's own.
            bool ended_before = reused && broken(*maintenance_);
            settle_maintenance_session();
            if (!ended_before) throw;
        }
    }
}

// The next call starts from a new session's state: no role, setting or
// transaction of this one's carried over; a broken session is dropped.
void Cluster::settle_maintenance_session() const {
    if (broken(*maintenance_) || PQtransactionStatus(maintenance_->raw()) != PQTRANS_IDLE) {
        maintenance_.reset();
        return;
    }
    try {
        simple_query(*maintenance_, "DISCARD ALL");
    } catch (const std::runtime_error&) {
        maintenance_.reset();
    }
}

void Cluster::psql_file(const std::string& database, const std::filesystem::path& file) const {
    auto result = run_process({{(bin_dir_ / "psql").string(), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d",
                                admin_conninfo(database), "-f", file.string()},
                               {}});
    if (!result.succeeded()) throw std::runtime_error("psql -f " + file.string() + " failed: " + result.err);
}

}  // namespace sandboxctl::test
