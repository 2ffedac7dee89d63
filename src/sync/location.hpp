#pragma once
// Where files live for sync-files: a local path, or a path behind a remote
// shell (ssh, kubectl exec, or any command given with exec:). The remote side
// needs only a POSIX shell, GNU-compatible find (-printf) and tar.
#include <string>
#include <string_view>
#include <vector>

namespace sandboxctl::sync {

struct Location {
    enum class Kind { local, ssh, kubectl, exec };
    Kind kind = Kind::local;
    std::string path;                // absolute or relative directory
    std::vector<std::string> shell;  // argv that runs one more argument as a shell script remotely
                                     // (for ssh: empty until resolve_location)
    std::string host;                // ssh: [user@]host as given
    std::string port;                // ssh: as given, or empty for ssh's default
    std::string text;                // as given, for messages
    // Who sees `path`, as far as the location string tells: empty for local,
    // "ssh:HOST:PORT" (user aside), "kubectl:NAMESPACE/POD" (container aside;
    // no namespace is the context's) or "exec:COMMAND" (words joined by one space).
    std::string side;

    bool is_local() const { return kind == Kind::local; }
    // argv running `script` on the location's side; an ssh location must be
    // resolved first (resolve_location).
    std::vector<std::string> command(const std::string& script) const;
};

// For ssh locations: the connections of one run share one SSH connection
// (OpenSSH ControlMaster), so listing and transfer pay the handshake once.
// The master is closed when this object goes out of scope.
class SshMultiplexing {
public:
    SshMultiplexing(Location& location, const std::string& control_dir);
    ~SshMultiplexing();
    SshMultiplexing(const SshMultiplexing&) = delete;
    SshMultiplexing& operator=(const SshMultiplexing&) = delete;

private:
    Location* location_ = nullptr;
    std::string control_path_;
};

// Parses "PATH", "ssh://[user@]host[:port]/path", "kubectl://pod/path",
// "kubectl://[namespace/]pod[/container]::/path" and "exec:COMMAND::/path".
// Throws a usage error naming `option` on anything else. Pure: it reads no
// environment, starts no process and probes nothing ("user@host:path" is a
// local directory of that name, as any other string without a scheme).
Location parse_location(std::string_view text, std::string_view option);

// Completes a parsed location for use, when a sync starts: for ssh, the
// command line (SANDBOXCTL_SSH_COMMAND or "ssh", and the fastest cipher this
// CPU and ssh support, which takes a probe of "ssh -G"). Other kinds need
// nothing. Calling it again rebuilds the same command line.
void resolve_location(Location& location);

// 'text' quoted for a POSIX shell.
std::string shell_quote(std::string_view text);

}  // namespace sandboxctl::sync
