#pragma once
// Every secret the tool learns (passwords from conninfo strings or the config)
// is registered here, and every line the tool prints passes through redact().
// This is defence in depth: code should not format secrets in the first place.
#include <string>
#include <string_view>

namespace sandboxctl::secrets {

void remember(std::string_view secret);
std::string redact(std::string_view text);

}  // namespace sandboxctl::secrets
