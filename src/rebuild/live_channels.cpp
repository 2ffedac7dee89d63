#include "rebuild/live_channels.hpp"

#include <fmt/format.h>

#include "core/error.hpp"

namespace sandboxctl::rebuild {

void refuse_live_channels(const std::vector<LiveChannel>& live) {
    std::string named;
    for (const auto& c : live) named += fmt::format("\n  {}: {}: {}", c.channel, c.where, c.detail);
    throw Error(ExitCode::refused,
                fmt::format("the sandbox still has {} live outgoing channel{} after the firewall:{}", live.size(),
                            live.size() == 1 ? "" : "s", named),
                "Nothing was committed: the sandbox is as it was. Post-refresh SQL, a [[refresh.keep]] rule or a "
                "[[channels]] switch_off may have switched a channel back on; fix it, or see what each channel needs "
                "in the application profile's "
                "documentation (docs/manual.md#declared-channels for [[channels]]).");
}

}  // namespace sandboxctl::rebuild
