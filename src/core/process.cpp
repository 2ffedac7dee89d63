#include "core/process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <optional>

#include "core/error.hpp"
#include "core/fd.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/number.hpp"

extern char** environ;

namespace sandboxctl {
namespace {

class Pipe {
public:
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw failure(std::string("could not create pipe: ") + std::strerror(errno));
        read_ = Fd(fds[0]);
        write_ = Fd(fds[1]);
    }
    int read_end() const { return read_.get(); }
    int write_end() const { return write_.get(); }
    void close_write() { write_ = Fd(); }

private:
    Fd read_, write_;
};

// A close-on-exec duplicate of `fd`, so a child started later does not
// inherit it (and keep a pipe open).
Fd duplicate(int fd) {
    int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) throw failure(std::string("could not duplicate a pipe: ") + std::strerror(errno));
    return Fd(copy);
}

// Owns a running child: if it is still running when destroyed (an exception
// unwound past it), it is terminated and reaped so no orphan is left.
class Child {
public:
    explicit Child(pid_t pid) : pid_(pid) {}
    // The child leads its own process group: stopping it stops what it
    // started too (a hook's `sh -c` and the command it runs).
    // A child that ignores SIGTERM gets SIGKILL after a grace period: it
    // cannot hold the run on its way out.
    ~Child() {
        if (pid_ <= 0) return;
        ::kill(-pid_, SIGTERM);
        int status = 0;
        for (int tick = 0; tick < 40; ++tick) {
            if (::waitpid(pid_, &status, WNOHANG) == pid_) return;
            ::usleep(50000);
        }
        ::kill(-pid_, SIGKILL);
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    int wait() {
        int status = 0;
        while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
        pid_ = -1;
        return status;
    }

    // The child's status if it has exited (reaped then), without waiting.
    std::optional<int> exited() {
        int status = 0;
        if (pid_ <= 0 || ::waitpid(pid_, &status, WNOHANG) != pid_) return std::nullopt;
        pid_ = -1;
        return status;
    }

private:
    pid_t pid_;
};

std::vector<std::string> merged_environment(const ProcessSpec& spec) {
    std::map<std::string, std::string> values;
    for (char** entry = environ; *entry; ++entry) {
        std::string text(*entry);
        auto eq = text.find('=');
        if (eq != std::string::npos) values[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& key : spec.removed_environment) values.erase(key);
    for (const auto& [key, value] : spec.environment) values[key] = value;
    std::vector<std::string> out;
    out.reserve(values.size());
    for (const auto& [key, value] : values) out.push_back(std::string(key).append("=").append(value));
    return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (auto& s : strings) out.push_back(s.data());
    out.push_back(nullptr);
    return out;
}

// Starts `spec` with the descriptor set-up in `actions` (consumed), plus the
// inherited descriptors: adddup2 onto the same number clears close-on-exec
// in the child only.
pid_t spawn(const ProcessSpec& spec, posix_spawn_file_actions_t& actions, bool own_group = false) {
    for (int fd : spec.inherited_fds) posix_spawn_file_actions_adddup2(&actions, fd, fd);
    auto argv_strings = spec.argv;
    auto env_strings = merged_environment(spec);
    auto argv = pointers(argv_strings);
    auto envp = pointers(env_strings);
    log::detail("running {}", spec.argv.front());
    pid_t pid = -1;
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    if (own_group) {
        posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attributes, 0);
    }
    int rc = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawnattr_destroy(&attributes);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        throw failure("could not run \"" + spec.argv.front() + "\": " + std::strerror(rc),
                      "Check that it is installed and on PATH.");
    }
    return pid;
}

// Reads both pipes until both are closed, polling for interrupts (a
// non-interruptible child still stops on a signal that arrives while it runs)
// and for the deadline. Throwing leaves the child to Child's destructor.
// What the pipes hold now, without waiting for more.
void read_what_is_there(pollfd (&fds)[2], std::string* (&sinks)[2], char* buffer, std::size_t size) {
    for (int i = 0; i < 2; ++i) {
        if (fds[i].fd < 0) continue;
        ::fcntl(fds[i].fd, F_SETFL, ::fcntl(fds[i].fd, F_GETFL) | O_NONBLOCK);
        ssize_t n = 0;
        while ((n = ::read(fds[i].fd, buffer, size)) > 0 || (n < 0 && errno == EINTR)) {
            if (n > 0) sinks[i]->append(buffer, static_cast<std::size_t>(n));
        }
    }
}

// Reads the child's stdout and stderr until both close, or until the child
// itself has exited: something it left running in the background (a hook's
// `sleep 300 &`) keeps the pipes open, and must not hold the run. Returns
// the child's status when it was reaped here.
std::optional<int> drain(Pipe& out, Pipe& err, ProcessResult& result, const ProcessSpec& spec, Child& child) {
    pollfd fds[2] = {{out.read_end(), POLLIN, 0}, {err.read_end(), POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open = 2;
    char buffer[65536];
    const int signals_before = interrupt::signal_count();
    const auto started = std::chrono::steady_clock::now();
    while (open > 0) {
        if (spec.interruptible || interrupt::signal_count() != signals_before) interrupt::throw_if_requested();
        if (spec.deadline.count() > 0 && std::chrono::steady_clock::now() - started > spec.deadline) {
            throw failure(fmt::format("\"{}\" did not finish within {} ms and was stopped", spec.argv.front(),
                                      spec.deadline.count()));
        }
        int ready = ::poll(fds, 2, 200);
        if (ready < 0) {
            if (errno == EINTR) continue;
            throw failure(std::string("could not poll child process output: ") + std::strerror(errno));
        }
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
            if (n > 0) {
                sinks[i]->append(buffer, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                fds[i].fd = -1;
                --open;
            }
        }
        if (auto status = child.exited()) {
            read_what_is_there(fds, sinks, buffer, sizeof buffer);
            return status;
        }
    }
    return std::nullopt;
}

std::string last_lines(const std::string& text, int count) {
    std::size_t end = text.find_last_not_of("\n");
    if (end == std::string::npos) return {};
    std::size_t pos = end + 1;
    for (int i = 0; i < count && pos > 0; ++i) {
        pos = text.rfind('\n', pos - 1);
        if (pos == std::string::npos) {
            pos = 0;
            break;
        }
    }
    std::string out = text.substr(pos, end + 1 - pos);
    if (!out.empty() && out.front() == '\n') out.erase(0, 1);
    return out;
}

}  // namespace

ProcessResult run_process(const ProcessSpec& spec) {
    if (spec.argv.empty()) throw failure("internal error: empty argv");
    Pipe out, err;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out.write_end(), 1);
    posix_spawn_file_actions_adddup2(&actions, err.write_end(), 2);
    Child child(spawn(spec, actions, true));
    out.close_write();
    err.close_write();

    ProcessResult result;
    auto reaped = drain(out, err, result, spec, child);
    int status = reaped ? *reaped : child.wait();
    if (WIFEXITED(status)) result.exit_status = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    return result;
}

ProcessResult run_checked(const ProcessSpec& spec) {
    ProcessResult result = run_process(spec);
    if (!result.succeeded()) {
        std::string how = result.signal ? "was terminated by " + interrupt::signal_name(result.signal)
                                        : "exited with status " + std::to_string(result.exit_status);
        throw failure(spec.argv.front() + " " + how + (result.err.empty() ? "" : ":\n" + last_lines(result.err, 12)));
    }
    return result;
}

StreamingChild::StreamingChild(const ProcessSpec& spec, const std::string& stdin_file, Stream stream)
    : stream_(stream), err_("sandboxctl-stderr"), name_(spec.argv.front()) {
    Pipe out, in;
    // A bulk stream (tar over ssh) moves in 64 kB steps through a default
    // pipe: a context switch each, and ssh's own buffer grows while it
    // waits. 1 MB (the unprivileged maximum) lets both sides work in long
    // runs; where the kernel refuses, the default stays.
    ::fcntl(out.read_end(), F_SETPIPE_SZ, 1 << 20);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (stream == Stream::read_stdout) {
        posix_spawn_file_actions_addopen(&actions, 0, stdin_file.c_str(), O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&actions, out.write_end(), 1);
    } else if (stream == Stream::write_stdin) {
        posix_spawn_file_actions_adddup2(&actions, out.read_end(), 0);
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    } else {
        posix_spawn_file_actions_adddup2(&actions, in.read_end(), 0);
        posix_spawn_file_actions_adddup2(&actions, out.write_end(), 1);
    }
    posix_spawn_file_actions_adddup2(&actions, err_.fd(), 2);
    pid_ = spawn(spec, actions);
    // Our end of the pipe: the read end for stdout, the write end for stdin.
    pipe_ = duplicate(stream == Stream::write_stdin ? out.write_end() : out.read_end());
    if (stream == Stream::duplex) input_ = duplicate(in.write_end());
}

void StreamingChild::close_stdin() { input_ = Fd(); }

StreamingChild::~StreamingChild() {
    pipe_ = Fd();
    close_stdin();
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        ::waitpid(pid_, nullptr, 0);
    }
}

void StreamingChild::finish() {
    close_stdin();
    pipe_ = Fd();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {}
    pid_ = -1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
    std::string err = err_.contents();
    throw failure(name_ + " failed" + (err.empty() ? "" : ": " + last_lines(err, 8)));
}

void end_with_parent() {
    auto parent = ::getppid();
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0) throw failure(fmt::format("prctl: {}", std::strerror(errno)));
    if (::getppid() != parent || parent == 1) throw failure("the process that started this one is gone");
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

pid_t parse_pid(std::string_view digits) {
    if (digits.empty() || digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return 0;
    return static_cast<pid_t>(to_integer(digits).value_or(0));
}

int run_shell(const std::string& command, bool interruptible) {
    ProcessSpec spec{{"/bin/sh", "-c", command}, {}};
    spec.interruptible = interruptible;
    ProcessResult result = run_process(spec);
    if (!result.out.empty()) log::info("{}", result.out.substr(0, result.out.find_last_not_of('\n') + 1));
    if (!result.err.empty()) log::info("{}", result.err.substr(0, result.err.find_last_not_of('\n') + 1));
    return result.signal ? 128 + result.signal : result.exit_status;
}

}  // namespace sandboxctl
