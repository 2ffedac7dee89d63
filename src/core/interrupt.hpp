#pragma once
// SIGINT, SIGTERM and SIGHUP do not kill the process outright: they set a flag
// that long-running loops poll, and run a signal-safe hook (cancelling the
// queries in flight) so that every RAII guard gets to run on the way out.
#include <chrono>
#include <string>
#include <string_view>

namespace sandboxctl::interrupt {

void install_handlers();
bool requested();
// How many signals arrived so far: cleanup that runs after an interrupt (not
// interruptible by the one that started it) still stops on the next one.
int signal_count();
// "interrupted by signal 2 (SIGINT)": the received signal, worded the one way
// every message uses.
std::string describe();
// "signal 15 (SIGTERM)", for any signal number.
std::string signal_name(int number);
// Throws a failure naming the signal if one was received.
void throw_if_requested();
// Blocks until a signal arrives, then takes it as the request it was for
// (the work it asks for follows and is not stopped by it; a later signal,
// or a second one that came with it, still stops that work). Returns the
// signal's number, or 0 when `until` came first.
int wait_and_take(std::chrono::steady_clock::time_point until = std::chrono::steady_clock::time_point::max());
// Between two phases of a run: the fault suite's failpoint of that name
// (core/failpoint.hpp), then a pending interrupt stops the run there.
void phase_boundary(std::string_view phase);
// Called from the signal handler; must be async-signal-safe.
void set_signal_hook(void (*hook)());

}  // namespace sandboxctl::interrupt
