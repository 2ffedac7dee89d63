#pragma once
// Child processes are started from an argv vector, never a shell string, so no
// argument is ever re-parsed. Secrets reach children through the environment
// or an in-memory file, never through argv (visible in /proc/*/cmdline).
#include <sys/types.h>

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/fd.hpp"
#include "core/memory_file.hpp"

namespace sandboxctl {

struct ProcessSpec {
    std::vector<std::string> argv;
    // Added to (or replacing in) the inherited environment.
    std::vector<std::pair<std::string, std::string>> environment;
    // Close-on-exec descriptors the child keeps, at the same numbers
    // (a MemoryFile passfile).
    std::vector<int> inherited_fds = {};
    // A pending interrupt (Ctrl-C) stops the child and throws. Off for the
    // cleanup that must run after an interrupt (restoring what a run
    // stopped): then only a signal that arrives while the child runs stops it.
    bool interruptible = true;
    // How long the child may run (run_process); 0: no limit. Past it the
    // child and its process group are stopped and a failure names the limit.
    std::chrono::milliseconds deadline{0};
    // Left out of the inherited environment (a PGPASSWORD that would win
    // over the passfile sandboxctl gives).
    std::vector<std::string> removed_environment = {};
};

struct ProcessResult {
    int exit_status = -1;  // -1 when killed by a signal
    int signal = 0;
    std::string out;
    std::string err;

    bool succeeded() const { return exit_status == 0; }
};

// Runs the child to completion, capturing stdout and stderr. If an interrupt
// arrives meanwhile the child is terminated and the interrupt is rethrown.
ProcessResult run_process(const ProcessSpec& spec);

// Like run_process, but a non-zero exit becomes a failure that names the
// program and quotes its last stderr lines.
ProcessResult run_checked(const ProcessSpec& spec);

// A child whose stdout is read as a stream (tar archives, COPY data): stdin
// comes from a file, stderr is kept for the error message. The destructor
// terminates and reaps a child that is still running.
class StreamingChild {
public:
    enum class Stream { read_stdout, write_stdin, duplex };
    // read_stdout: stdin comes from `stdin_file`, stdout is a pipe to read.
    // write_stdin: stdin is a pipe to write, stdout is discarded.
    // duplex: stdin is a pipe to write (close_stdin() ends it), stdout a pipe to read.
    StreamingChild(const ProcessSpec& spec, const std::string& stdin_file, Stream stream = Stream::read_stdout);
    ~StreamingChild();
    StreamingChild(const StreamingChild&) = delete;
    StreamingChild& operator=(const StreamingChild&) = delete;

    int stdout_fd() const { return pipe_.get(); }
    int stdin_fd() const { return stream_ == Stream::duplex ? input_.get() : pipe_.get(); }
    void close_stdin();
    // Waits for the child; a non-zero exit becomes a failure naming it.
    void finish();

private:
    int pid_ = -1;
    Fd pipe_;
    Fd input_;  // duplex only
    Stream stream_;
    MemoryFile err_;
    std::string name_;
};

// Whether process `pid` still runs: kill(pid, 0) succeeds, or fails with
// EPERM (it exists but belongs to another user). The one rule for every
// sweeper of a dead run's leftovers.
bool process_alive(pid_t pid);
// The pid spelled by `digits` (at most 9 decimal digits), or 0.
pid_t parse_pid(std::string_view digits);

// For a child of sandboxctl's own (`pool sync-member`): SIGTERM when its
// parent dies, so that a killed parent does not leave it working alone (it
// rolls back, as on any interrupt); throws when the parent is gone already.
void end_with_parent();

// Runs a shell command line (for user hooks), output passed through.
int run_shell(const std::string& command, bool interruptible = true);

}  // namespace sandboxctl
