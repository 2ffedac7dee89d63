#pragma once
// Named points between the phases of a run where the fault-injection suite
// (tests/faults) stops sandboxctl to break something: send a signal, end a
// backend, restart the server. Inert unless SANDBOXCTL_FAILPOINT names the
// point (or is "*", every point, for the suite to learn their names): then
// the run creates SANDBOXCTL_FAILPOINT_FILE holding "PID POINT" and waits
// until the test removes it (at most two minutes). Git's GIT_TEST_* hooks
// and PostgreSQL's injection points work the same way.
#include <string_view>

namespace sandboxctl::failpoint {

void reach(std::string_view point);

}  // namespace sandboxctl::failpoint
