#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "cli/commands.hpp"
#include "cli/lease_service_file.hpp"
#include "cli/report_output.hpp"
#include "core/duration.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "pool/lease.hpp"
#include "pool/release.hpp"
#include "pool/status.hpp"

namespace sandboxctl::cli {
namespace {

// A value for `eval "$(sandboxctl lease)"`: single-quoted, quotes closed and
// reopened around each quote.
std::string shell_quoted(const std::string& value) {
    std::string out = "'";
    for (char c : value) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::string default_holder() {
    std::array<char, 256> name{};
    if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
    return name.data();
}

// The code points of `text`, or nullopt when it is not well-formed UTF-8
// (overlong forms, surrogates and values past U+10FFFF are not).
std::optional<std::u32string> decode_utf8(std::string_view text) {
    std::u32string out;
    for (std::size_t i = 0; i < text.size();) {
        auto lead = static_cast<unsigned char>(text[i]);
        int length = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xe ? 3 : (lead >> 3) == 0x1e ? 4 : 0;
        if (length == 0 || i + static_cast<std::size_t>(length) > text.size()) return std::nullopt;
        char32_t c = length == 1 ? lead : lead & (0x7fU >> static_cast<unsigned>(length));
        for (int k = 1; k < length; ++k) {
            auto next = static_cast<unsigned char>(text[i + static_cast<std::size_t>(k)]);
            if ((next & 0xc0) != 0x80) return std::nullopt;
            c = (c << 6U) | (next & 0x3fU);
        }
        static constexpr std::array<char32_t, 5> smallest = {0, 0, 0x80, 0x800, 0x10000};
        if (c < smallest[static_cast<std::size_t>(length)] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
            return std::nullopt;
        out += c;
        i += static_cast<std::size_t>(length);
    }
    return out;
}

// A name shown by pool status: 1 to 200 characters of UTF-8, no control
// character (C0, DEL, C1) and no bidirectional override, which would make
// the status lines lie about what follows them.
std::string checked_holder(const std::string& holder) {
    const char* hint = "Name the agent or pipeline: --holder ci-pr-1234.";
    auto characters = decode_utf8(holder);
    if (!characters) throw usage_error("--holder is not UTF-8 text", hint);
    if (characters->empty() || characters->size() > 200) throw usage_error("--holder needs 1 to 200 characters", hint);
    for (char32_t c : *characters) {
        if (c < 0x20 || (c >= 0x7f && c < 0xa0) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
            throw usage_error("--holder holds a control character", hint);
    }
    return holder;
}

struct LeaseOptions {
    config::Overrides settings;
    std::string json_path;
    std::optional<std::string> holder;
    std::optional<std::string> ttl;
    std::optional<std::string> wait;
    bool hold = false;
    std::string service_file;
};

void print_released(const ReportOutput& output, const pool::Released& released) {
    if (log::level() < log::Level::normal) return;
    fmt::print(output.text(), "released member {} ({}), leased by \"{}\": {}; free\n", released.member,
               released.database, released.holder, pool::describe(released.reset));
}

// Past its expiry a lease may be reclaimed and the member lent to another
// caller: the agent is told, and its credentials for it go.
int wait_through_expiry(const pool::Lease& lease, const LeaseOptions& options, const LeaseServiceFile& service) {
    int signal = interrupt::wait_and_take(lease.expires_here);
    if (signal != 0) return signal;
    bool gone = service.remove();
    log::warning("the lease of member {} ({}) expires at {}: from then on the member may be reset and lent to "
                 "another caller{}; held until a stop signal, then released if this lease still holds it",
                 lease.member, lease.database, lease.expires,
                 options.service_file.empty() || !gone ? "" : ", and the lease's service file is gone");
    return interrupt::wait_and_take();
}

// --hold: the lease is the process's for as long as it runs. A stop signal
// (a pod's SIGTERM once its agent has finished) releases it; a process killed
// outright leaves it to its expiry. The agent is done with the member's
// credentials then; the report goes once the lease is over, and stays to
// finish a release that failed: sandboxctl release "$(jq -r .lease FILE)".
ExitCode hold_then_release(const config::Settings& settings, const ReportOutput& output, const pool::Lease& lease,
                           const LeaseOptions& options, const LeaseServiceFile& service) {
    output.text().flush();
    int signal = wait_through_expiry(lease, options, service);
    log::info("{}: releasing member {} ({})", interrupt::signal_name(signal), lease.member, lease.database);
    service.remove();
    print_released(output, pool::release(settings, lease.id));
    std::error_code ignored;
    std::filesystem::remove(options.json_path, ignored);
    return ExitCode::ok;
}

// Refused before a member is leased, rather than given back after.
void check_service_file(const std::string& path, const std::string& json_path) {
    namespace fs = std::filesystem;
    const char* hint = "Give --service-file the path of a file to write, in an existing directory.";
    if (path == "-") throw usage_error("--service-file needs a file, not standard output", hint);
    if (fs::is_directory(path)) throw usage_error(fmt::format("--service-file \"{}\" is a directory", path), hint);
    auto parent = fs::path(path).parent_path();
    if (!parent.empty() && !fs::is_directory(parent))
        throw usage_error(fmt::format("--service-file \"{}\": no directory \"{}\"", path, parent.string()), hint);
    if (json_path.empty()) return;
    std::error_code first, second;
    auto service = fs::weakly_canonical(path, first);
    auto report = fs::weakly_canonical(json_path, second);
    if (!first && !second && service == report) throw usage_error("--service-file and --json name the same file", hint);
}

// The service file first: the report's FILE tells the agent both are there.
void report_lease(const ReportOutput& output, const pool::Lease& lease, const LeaseOptions& options,
                  std::chrono::steady_clock::time_point start, LeaseServiceFile& service) {
    if (!options.service_file.empty()) {
        service.write(options.service_file,
                      fmt::format("# sandboxctl lease: member {} for \"{}\", until {}\n{}", lease.member, lease.holder,
                                  lease.expires, lease.service_section));
    }
    // The lease id releases the member: its file is the caller's alone.
    auto write_report = [&] {
        output.write_json(
            {{"lease", lease.id},
             {"member", lease.member},
             {"database", lease.database},
             {"conninfo", lease.conninfo},
             {"holder", lease.holder},
             {"expires", lease.expires},
             {"seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count()}},
            0600);
    };
    auto& out = output.text();
    if (options.hold) {
        // "held" only once it is: the file written.
        write_report();
        fmt::print(out, "leased member {} ({}) to \"{}\" until {}; held until a stop signal, then released\n",
                   lease.member, lease.database, lease.holder, lease.expires);
        return;
    }
    fmt::print(out, "LEASE_ID={}\nLEASE_MEMBER={}\nLEASE_DATABASE={}\nLEASE_CONNINFO={}\nLEASE_EXPIRES={}\n", lease.id,
               lease.member, shell_quoted(lease.database), shell_quoted(lease.conninfo), lease.expires);
    write_report();
}

// The caller never got the lease id (its report could not be written): a
// lease kept would only wait for its expiry, and its credentials are not to
// outlive it.
void give_back(const config::Settings& settings, const pool::Lease& lease, const LeaseServiceFile& service) {
    service.remove();
    try {
        pool::release(settings, lease.id);
        log::info("member {} ({}) released again: its lease could not be handed over", lease.member, lease.database);
    } catch (const Error& e) {
        log::warning("could not release member {} ({}) again: {}; it stays lent until {}", lease.member, lease.database,
                     e.what(), lease.expires);
    }
}

ExitCode run_lease(const Context& context, LeaseOptions& options) {
    auto start = std::chrono::steady_clock::now();
    // The lease id releases the member: a held lease's stays in the file the
    // agent reads, out of the pod's log.
    if (options.hold && (options.json_path.empty() || options.json_path == "-")) {
        throw usage_error("--hold needs --json FILE",
                          "The agent reads its member from FILE; the lease id stays out of the log.");
    }
    ReportOutput output(options.json_path);
    if (!options.service_file.empty()) check_service_file(options.service_file, options.json_path);
    auto settings = resolve_settings(context, options.settings);
    pool::LeaseRequest request;
    request.holder = checked_holder(options.holder.value_or(default_holder()));
    if (options.ttl) {
        request.ttl = config::parse_lease_ttl(*options.ttl, "--ttl");
    }
    if (options.wait) request.wait = parse_duration(*options.wait, "--wait");
    request.credentials = !options.service_file.empty();
    auto lease = pool::lease(settings, request);
    for (const auto& member : lease.reclaimed) log::info("reclaimed {} (its lease had expired)", member);
    LeaseServiceFile service;
    try {
        report_lease(output, lease, options, start, service);
    } catch (const Error&) {
        give_back(settings, lease, service);
        throw;
    }
    return options.hold ? hold_then_release(settings, output, lease, options, service) : ExitCode::ok;
}

struct ReleaseOptions {
    config::Overrides settings;
    std::string json_path;
    std::string lease;
};

ExitCode run_release(const Context& context, ReleaseOptions& options) {
    ReportOutput output(options.json_path);
    auto settings = resolve_settings(context, options.settings);
    auto released = pool::release(settings, options.lease);
    print_released(output, released);
    output.write_json({{"member", released.member},
                       {"database", released.database},
                       {"holder", released.holder},
                       {"mode", released.reset.full ? "full" : "delta"},
                       {"seconds", std::chrono::duration<double>(released.reset.elapsed).count()}});
    return ExitCode::ok;
}

}  // namespace

void register_lease(Command& app, Context& context) {
    auto options = std::make_shared<LeaseOptions>();
    auto command = app.subcommand("lease", "Lend the caller a clean pool member: its connection string and a lease id");
    command.footer(R"help(
Takes a member of [pool] that is free, with nothing written since its reset to the pool's
snapshot, and lends it until "sandboxctl release LEASE_ID" or the lease's expiry. Prints, for
eval "$(sandboxctl lease)": LEASE_ID, LEASE_MEMBER, LEASE_DATABASE, LEASE_CONNINFO (the member's
connection string, never a password) and LEASE_EXPIRES (UTC). The lease lives in the member's
database (sandboxctl_pool.lease), so callers in different pods share the pool safely: one UPDATE
that only a free member passes, so two callers never hold one member.
With no member free, the members whose lease expired are reset and lent; then lease waits up to
--wait for a release, or exits 3 ("pool exhausted"), saying what each member is doing.
With --service-file FILE, lease also writes FILE (mode 0600): a libpq service "[lease]" that
reaches the member as its session did, password included, for the agent (PGSERVICEFILE=FILE
psql service=lease), which then needs no other credentials.
With --hold (and --json FILE), lease writes FILE, prints one line without the lease id, then
stays until SIGTERM, SIGINT or SIGHUP and releases the member then (exit 0 once released): a
Kubernetes agent Job runs it as a native sidecar (docs/kubernetes.md), the agent reading FILE.
At the lease's expiry it warns and removes the --service-file: from then on a pool command may
reset the member and lend it to another caller.
Killed outright, it leaves the lease to its expiry: choose a --ttl longer than the agent runs.)help");
    command.option("--holder", options->holder, "Who holds the lease, shown by pool status (default: the host name)")
        .type_name("NAME");
    command
        .option("--ttl", options->ttl, "How long the lease lasts, at most 87600h (default: [pool] lease_ttl, else 2h)")
        .type_name("DURATION");
    command.option("--wait", options->wait, "Wait this long for a member to come free (default: do not wait)")
        .type_name("DURATION");
    command.flag("--hold", options->hold, "Stay until a stop signal (SIGTERM), then release the member");
    command
        .option("--service-file", options->service_file,
                "Write FILE (mode 0600): a libpq service [lease] that reaches the member, password included")
        .type_name("FILE");
    add_snapshot_dir_option(command, options->settings);
    add_timeout_options(command, options->settings);
    add_json_option(command, options->json_path);
    on_chosen(command, context, options, run_lease);

    auto release_options = std::make_shared<ReleaseOptions>();
    auto release = app.subcommand("release", "Reset a leased pool member to the pool's snapshot and free it");
    release.footer(R"(
Resets the member of LEASE_ID to the pool's snapshot (a delta reset: only the rows written since
the lease go back), ending the member's sessions, then frees it. The lease stays held until the
reset commits: a release that fails or is killed leaves the member leased (at the snapshot or as
it was) and can be run again. Exits 3 for a lease the member no longer holds (released already,
or expired and reclaimed).)");
    release.option("LEASE_ID", release_options->lease, "The id \"sandboxctl lease\" printed").required();
    add_snapshot_dir_option(release, release_options->settings);
    add_timeout_options(release, release_options->settings);
    add_json_option(release, release_options->json_path);
    on_chosen(release, context, release_options, run_release);
}

}  // namespace sandboxctl::cli
