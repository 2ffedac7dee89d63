#include "sync/location.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"
#include "core/process.hpp"

namespace sandboxctl::sync {
namespace {

Error bad(std::string_view text, std::string_view option, const std::string& why) {
    return usage_error("invalid location \"" + std::string(text) + "\" for " + std::string(option) + ": " + why,
                       "Use a local path, ssh://[user@]host[:port]/path, kubectl://pod/path, "
                       "kubectl://[namespace/]pod[/container]::/path or exec:COMMAND::/path.");
}

constexpr std::string_view fast_ciphers = "Ciphers=^aes128-gcm@openssh.com,aes256-gcm@openssh.com";

std::vector<std::string> split_words(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::vector<std::string> words;
    for (std::string word; in >> word;) words.push_back(word);
    return words;
}

std::string join_words(const std::vector<std::string>& words) {
    std::string out;
    for (const auto& word : words) out += (out.empty() ? "" : " ") + word;
    return out;
}

std::string lowercase(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    return text;
}

// ssh's default cipher, chacha20-poly1305, runs at half the speed of AES-GCM
// on CPUs with AES instructions (measured here: 1 GB in 6.0 s against
// 2.9 s), and a file sync is bound by it. So sandboxctl puts the AES-GCM
// ciphers first in ssh's default list, unless the CPU lacks AES, the user's
// SANDBOXCTL_SSH_COMMAND chooses ciphers itself, or this ssh does not know
// the "^" (prepend) syntax.
std::vector<std::string> cipher_preference(const std::vector<std::string>& ssh) {
    for (const auto& word : ssh) {
        if (word == "-c" || word.find("Ciphers") != std::string::npos || word.find("ciphers") != std::string::npos) {
            return {};
        }
    }
    static const bool usable = [] {
#if defined(__x86_64__) || defined(__i386__)
        if (!__builtin_cpu_supports("aes")) return false;
#else
        return false;
#endif
        try {
            return run_process({{"ssh", "-G", "-o", std::string(fast_ciphers), "localhost"}, {}}).succeeded();
        } catch (const Error&) {
            return false;
        }
    }();
    if (!usable) return {};
    return {"-o", std::string(fast_ciphers)};
}

}  // namespace

std::string shell_quote(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

std::vector<std::string> Location::command(const std::string& script) const {
    if (kind == Kind::local) return {"/bin/sh", "-c", script};
    if (shell.empty()) throw failure("internal error: location \"" + text + "\" used before it was resolved");
    auto argv = shell;
    // ssh joins its arguments into one command line for the remote shell.
    argv.push_back(kind == Kind::ssh ? "sh -c " + shell_quote(script) : script);
    return argv;
}

void resolve_location(Location& location) {
    if (location.kind != Location::Kind::ssh) return;
    // SANDBOXCTL_SSH_COMMAND replaces "ssh" (e.g. "ssh -F /etc/sandboxctl/ssh_config").
    const char* ssh = std::getenv("SANDBOXCTL_SSH_COMMAND");
    location.shell = split_words(ssh && *ssh ? ssh : "ssh");
    location.shell.insert(location.shell.end(), {"-o", "BatchMode=yes"});
    auto ciphers = cipher_preference(location.shell);
    location.shell.insert(location.shell.end(), ciphers.begin(), ciphers.end());
    if (!location.port.empty()) location.shell.insert(location.shell.end(), {"-p", location.port});
    location.shell.push_back("--");
    location.shell.push_back(location.host);
}

Location parse_location(std::string_view text, std::string_view option) {
    Location location;
    location.text = text;
    if (text.starts_with("ssh://")) {
        auto rest = text.substr(6);
        auto slash = rest.find('/');
        if (slash == std::string_view::npos || slash == 0) throw bad(text, option, "no path after the host");
        std::string host(rest.substr(0, slash));
        location.path = std::string(rest.substr(slash));
        location.kind = Location::Kind::ssh;
        auto colon = host.rfind(':');
        if (colon != std::string::npos && host.find(']') == std::string::npos) {
            location.port = host.substr(colon + 1);
            host = host.substr(0, colon);
            if (location.port.empty() || location.port.find_first_not_of("0123456789") != std::string::npos) {
                throw bad(text, option, "invalid port \"" + location.port + "\"");
            }
        }
        if (host.empty() || host.starts_with("-")) throw bad(text, option, "invalid host");
        auto at = host.find('@');
        auto name = at == std::string::npos ? host : host.substr(at + 1);
        if (name.empty() || name.starts_with("-")) throw bad(text, option, "invalid host");
        location.host = host;
        location.side = "ssh:" + lowercase(name) + ":" + (location.port.empty() ? "22" : location.port);
        return location;
    }
    if (text.starts_with("kubectl://")) {
        // kubectl://pod/path, or kubectl://[namespace/]pod[/container]::/path when a
        // namespace or container is named (the separator makes the split unambiguous).
        auto rest = std::string(text.substr(10));
        std::string spec, path;
        if (auto sep = rest.find("::"); sep != std::string::npos) {
            spec = rest.substr(0, sep);
            path = rest.substr(sep + 2);
        } else if (auto slash = rest.find('/'); slash != std::string::npos) {
            spec = rest.substr(0, slash);
            path = rest.substr(slash);
        }
        std::vector<std::string> pieces;
        std::stringstream in(spec);
        for (std::string piece; std::getline(in, piece, '/');) pieces.push_back(piece);
        if (pieces.empty() || pieces.size() > 3 || path.empty() || path.front() != '/') {
            throw bad(text, option, "expected kubectl://pod/path or kubectl://[namespace/]pod[/container]::/path");
        }
        location.kind = Location::Kind::kubectl;
        location.path = path;
        location.shell = {"kubectl", "exec", "-i"};
        std::string pod = pieces.size() == 1 ? pieces[0] : pieces[1];
        if (pieces.size() >= 2) location.shell.insert(location.shell.end(), {"-n", pieces[0]});
        location.shell.push_back(pod);
        location.side = "kubectl:" + (pieces.size() >= 2 ? pieces[0] : "") + "/" + pod;
        if (pieces.size() == 3) location.shell.insert(location.shell.end(), {"-c", pieces[2]});
        location.shell.insert(location.shell.end(), {"--", "sh", "-c"});
        return location;
    }
    if (text.starts_with("exec:")) {
        auto rest = text.substr(5);
        auto sep = rest.rfind("::");
        if (sep == std::string_view::npos) throw bad(text, option, "expected exec:COMMAND::/path");
        location.kind = Location::Kind::exec;
        location.shell = split_words(rest.substr(0, sep));
        location.path = std::string(rest.substr(sep + 2));
        if (location.shell.empty() || location.path.empty()) throw bad(text, option, "empty command or path");
        location.side = "exec:" + join_words(location.shell);
        return location;
    }
    if (text.empty()) throw bad(text, option, "empty");
    // "scheme://..." that is not one of ours is a mistake, not a directory named "scheme:".
    if (auto scheme = text.find("://"); scheme != std::string_view::npos && text.find('/') == scheme + 1) {
        throw bad(text, option, "unknown scheme \"" + std::string(text.substr(0, scheme)) + "://\"");
    }
    location.path = std::string(text);
    return location;
}

SshMultiplexing::SshMultiplexing(Location& location, const std::string& control_dir) {
    if (location.kind != Location::Kind::ssh) return;
    location_ = &location;
    control_path_ = control_dir + "/ssh-%C";
    // Insert before "--" so the options reach ssh, not the remote command.
    auto dash = std::find(location.shell.begin(), location.shell.end(), "--");
    location.shell.insert(
        dash, {"-o", "ControlMaster=auto", "-o", "ControlPath=" + control_path_, "-o", "ControlPersist=60"});
}

SshMultiplexing::~SshMultiplexing() {
    if (!location_) return;
    auto argv = location_->shell;
    auto dash = std::find(argv.begin(), argv.end(), "--");
    argv.insert(dash, {"-O", "exit"});
    try {
        run_process({argv, {}});
    } catch (...) {}
}

}  // namespace sandboxctl::sync
