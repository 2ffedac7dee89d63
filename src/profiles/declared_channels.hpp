#pragma once
// The user's own channels ([[channels]] in the configuration): outgoing
// channels no profile knows, of a custom module or of an application
// sandboxctl has no profile for. Each is declared once, by a name, a
// live_when (one SQL boolean expression, true while the channel is live)
// and a switch_off (one SQL statement). A refresh and a full reset run every
// switch_off inside their transaction and, before the commit, every
// live_when: a channel still live refuses the commit (exit 3). app-check
// evaluates each live_when. Works without any application profile.
#include <chrono>
#include <memory>
#include <vector>

#include "config/settings.hpp"
#include "profiles/profile.hpp"

namespace sandboxctl::profiles {

// The declared channels as an application named "channels", or nullptr when
// none is declared. Checks each first (usage errors naming the file, line
// and channel): a name used twice, a live_when that is not one expression, a
// switch_off that is not one statement or that would leave the transaction.
// `statement_timeout` bounds each statement (0: one minute).
std::unique_ptr<Application> declared_channels(const std::vector<config::ChannelRule>& rules,
                                               std::chrono::milliseconds statement_timeout);

}  // namespace sandboxctl::profiles
