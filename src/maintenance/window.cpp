#include "maintenance/window.hpp"

#include <fmt/format.h>

#include "core/log.hpp"
#include "core/process.hpp"
#include "safety/state_path.hpp"

namespace sandboxctl::maintenance {
namespace {

// `state`: what a failure leaves, the first words of its hint.
void run_hook(const std::string& command, const char* which, bool interruptible, std::string_view state) {
    if (command.empty()) return;
    log::info("running {} hook", which);
    if (int status = run_shell(command, interruptible); status != 0) {
        throw failure(fmt::format("the {} hook exited with status {}", which, status),
                      fmt::format("{} Fix the hook command ([hooks] in the config file).", state));
    }
}

}  // namespace

void AfterHook::run() {
    if (done_) return;
    done_ = true;
    // Even after Ctrl-C: it undoes what the before hook did.
    run_hook(command_, "after", false, state_);
}

AfterHook::~AfterHook() {
    try {
        run();
    } catch (const std::exception& e) {
        log::error("{}", e.what());
    }
}

Window::Window(pg::Connection& target, const pg::ConnInfo& target_info, const config::Settings& settings,
               std::string operation)
    : target_(target),
      target_info_(target_info),
      settings_(settings),
      operation_(std::move(operation)),
      lock_(target, operation_),
      workload_record_(
          safety::database_state_file(target, target.database(), settings.state_dir, kubernetes::record_kind)) {
    // What a killed run stopped comes back before anything else.
    kubernetes::restore_after_crash(settings_.kubernetes, workload_record_);
}

Window::~Window() = default;

void Window::connect_control_early() {
    if (!control_ && !pending_control_) pending_control_.emplace(pg::Connection::start(target_info_, control_label()));
}

bool Window::stops_application() const {
    return settings_.kubernetes || !settings_.hook_before.empty() || !settings_.hook_after.empty();
}

void Window::stop_application() {
    // Armed first: the after hook undoes a before hook that failed half-way.
    if (after_hook_) return;
    after_hook_.emplace(settings_.hook_after,
                        fmt::format("The {} was committed; the application may still be stopped.", operation_));
    run_hook(settings_.hook_before, "before", true, "The sandbox was not changed.");
    if (settings_.kubernetes) stopped_.emplace(*settings_.kubernetes, workload_record_);
}

std::string Window::control_label() const { return operation_ + "-control"; }

pg::Connection& Window::control() {
    if (control_) return *control_;
    if (pending_control_) {
        control_.emplace(pending_control_->finish());
        pending_control_.reset();
    } else {
        control_.emplace(pg::Connection::open(target_info_, control_label()));
    }
    return *control_;
}

const safety::ExclusiveAccess& Window::take_exclusive_access() {
    if (!exclusive_) exclusive_.emplace(control(), settings_.state_dir, std::vector<int>{target_.backend_pid()});
    return *exclusive_;
}

void Window::rethrow_naming_lock_holders() { safety::rethrow_naming_lock_holders(control(), {target_.backend_pid()}); }

void Window::end_exclusive_access(std::vector<output::FollowUpFailure>& failures) {
    if (!exclusive_) return;
    try {
        exclusive_->release();
    } catch (const std::exception& e) {
        failures.push_back({"connection limit", fmt::format("restoring the connection limit failed: {}", e.what()),
                            fmt::format("The {} was committed. Run \"sandboxctl unlock\" with the same target to let "
                                        "connections in again.",
                                        operation_)});
    }
}

void Window::restart_application(std::vector<output::FollowUpFailure>& failures) {
    if (stopped_) {
        try {
            stopped_->restore();
        } catch (const Error& e) {
            failures.push_back({"kubernetes", fmt::format("restarting the stopped workloads failed: {}", e.what()),
                                fmt::format("The {} was committed. {}", operation_, e.hint())});
        }
    }
    if (after_hook_) {
        try {
            after_hook_->run();
        } catch (const Error& e) {
            failures.push_back({"after hook", e.what(), e.hint()});
        }
    }
}

}  // namespace sandboxctl::maintenance
