#pragma once
// The maintenance window of a run that rebuilds or resets the sandbox
// (refresh, reset): one sandboxctl run at a time, what a killed run left
// repaired first, the application stopped (the `before` hook, then the
// [kubernetes] workloads), the sandbox to itself (exclusive access), and
// everything put back in the reverse order on every exit path: the
// connection limit, the workloads, the `after` hook. Refresh and reset both
// go through it, so a step added to the window applies to both.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.hpp"
#include "kubernetes/workloads.hpp"
#include "output/follow_up.hpp"
#include "pg/connection.hpp"
#include "safety/exclusive_access.hpp"
#include "safety/run_lock.hpp"

namespace sandboxctl::maintenance {

// The `after` hook, armed once the `before` hook was tried: a half-done
// `before` (some replicas scaled down) must be undone too. Runs once, even
// after Ctrl-C.
class AfterHook {
public:
    // `state`: what a failure after the commit leaves, for its hint.
    AfterHook(std::string command, std::string state) : command_(std::move(command)), state_(std::move(state)) {}
    ~AfterHook();
    AfterHook(const AfterHook&) = delete;
    AfterHook& operator=(const AfterHook&) = delete;

    // Runs it now; throws when it exits non-zero.
    void run();

private:
    std::string command_;
    std::string state_;
    bool done_ = false;
};

class Window {
public:
    // Takes the run lock on `target` (the run's own session, which must
    // outlive the window), then restores the workloads a killed run left
    // stopped. `operation` ("refresh", "reset") names the run in the lock,
    // the control session and the hints.
    Window(pg::Connection& target, const pg::ConnInfo& target_info, const config::Settings& settings,
           std::string operation);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    // Starts opening the control session in the background, so that
    // exclusive access costs no wait (a delta reset takes well under a
    // second). Only for a run that takes exclusive access soon: an idle
    // session may meet the server's idle_session_timeout. Otherwise it is
    // opened when exclusive access begins.
    void connect_control_early();

    // Runs the `before` hook, then stops the [kubernetes] workloads. A
    // failure of either throws, with what was stopped put back. Once: a
    // second call does nothing.
    void stop_application();
    // Whether stop_application has anything to do: a hook or [kubernetes].
    bool stops_application() const;

    // Blocks new connections to the sandbox and ends the other sessions (see
    // safety::ExclusiveAccess), through the window's control session.
    const safety::ExclusiveAccess& take_exclusive_access();

    // Inside a catch block around the run's transaction: rethrows, naming
    // the sessions that held locks when a lock wait timed out.
    [[noreturn]] void rethrow_naming_lock_holders();

    // After the commit, each step's failure is a follow-up failure (the run
    // exits 5 after its report), never an error that hides the commit.
    // Lets connections in again.
    void end_exclusive_access(std::vector<output::FollowUpFailure>& failures);
    // Restores the workloads, then runs the `after` hook.
    void restart_application(std::vector<output::FollowUpFailure>& failures);

private:
    std::string control_label() const;
    pg::Connection& control();

    pg::Connection& target_;
    pg::ConnInfo target_info_;
    const config::Settings& settings_;
    std::string operation_;
    safety::RunLock lock_;
    std::filesystem::path workload_record_;
    // Destroyed in the reverse order: the connection limit first, then the
    // workloads, then the `after` hook.
    std::optional<AfterHook> after_hook_;
    std::optional<kubernetes::StoppedWorkloads> stopped_;
    std::optional<pg::PendingConnection> pending_control_;
    std::optional<pg::Connection> control_;
    std::optional<safety::ExclusiveAccess> exclusive_;
};

}  // namespace sandboxctl::maintenance
