#include "dolibarr/conf_php.hpp"

#include "core/error.hpp"

namespace sandboxctl::dolibarr {

InstanceKey instance_key_from_conf(std::string_view /*php_text*/, std::string_view what) {
    throw failure("could not read the instance id from " + std::string(what) + ": not implemented yet");
}

InstanceKey read_instance_key(std::string_view /*location*/, const std::filesystem::path& /*base_dir*/,
                              std::string_view what) {
    throw failure("could not read " + std::string(what) + ": not implemented yet");
}

}  // namespace sandboxctl::dolibarr
