#pragma once
// Every line the tool prints passes through redact(), which masks secrets
// where they stand as values: `password=...` in conninfo strings and
// environment-style assignments, the password of a postgresql:// URI, and the
// last field of a passfile line holding a password the tool has learnt
// (remember()). It never masks a password as a substring of other text, which
// would itself reveal it. This is defence in depth: code should not format
// secrets in the first place.
#include <string>
#include <string_view>

namespace sandboxctl::secrets {

void remember(std::string_view secret);
std::string redact(std::string_view text);

}  // namespace sandboxctl::secrets
