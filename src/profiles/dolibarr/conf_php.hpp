#pragma once
// The dolcrypt key of a Dolibarr instance, read from its conf.php. The id is a
// secret: it never appears in argv, logs or error messages.
#include <filesystem>
#include <string_view>

#include "profiles/dolibarr/dolcrypt.hpp"

namespace sandboxctl::dolibarr {

// The instance id in conf.php's text: $dolibarr_main_instance_unique_id, else
// $dolibarr_main_cookie_cryptkey. Throws failure naming `what` (e.g. "the sandbox's
// conf.php") -- never the value -- when neither is set or the text cannot be read as PHP assignments,
// and a usage error naming `what` and the line when a construct could give PHP another id than the
// top-level assignments (an include, $GLOBALS, $$name, an assignment in a block or after a condition).
InstanceKey instance_key_from_conf(std::string_view php_text, std::string_view what);

// Whether two ids make the same dolcrypt key (their first 32 bytes, NUL-padded),
// so that one instance decrypts the other's stored secrets.
bool same_instance(const InstanceKey& a, const InstanceKey& b);

// Reads the conf.php at `location` (a sync-files LOCATION: local path, ssh://, kubectl://,
// exec:; a relative local path is relative to base_dir) and returns its key.
InstanceKey read_instance_key(std::string_view location, const std::filesystem::path& base_dir, std::string_view what);

}  // namespace sandboxctl::dolibarr
