#pragma once
// The last step of a rebuild: no outgoing channel of the sandbox's
// application may still be live when it commits. The application profiles
// (profiles/profile.hpp) and the user's declared channels say what is live;
// a rebuild with any is refused and rolled back.
#include <string>
#include <vector>

namespace sandboxctl::rebuild {

// One outgoing channel through which the sandbox can still act on the real
// world: what `app-check` lists and what refuses a rebuild's commit.
struct LiveChannel {
    std::string channel;  // "scheduled jobs", "mail", "partner export", ...
    std::string where;    // the row or setting that keeps it live: "llx_cronjob rowid 12"
    std::string detail;   // why, in words (never a secret)
};

// The refusal (exit 3, nothing committed) naming each live channel.
[[noreturn]] void refuse_live_channels(const std::vector<LiveChannel>& live);

}  // namespace sandboxctl::rebuild
