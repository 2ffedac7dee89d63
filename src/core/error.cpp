#include "core/error.hpp"

namespace sandboxctl {

Error::Error(ExitCode code, std::string message, std::string hint)
    : std::runtime_error(message), code_(code), hint_(std::move(hint)) {}

Error usage_error(std::string message, std::string hint) {
    return Error(ExitCode::usage, std::move(message), std::move(hint));
}

Error failure(std::string message, std::string hint) {
    return Error(ExitCode::failed, std::move(message), std::move(hint));
}

void rethrow_with_context(const std::string& context) {
    try {
        throw;
    } catch (const Error& e) {
        throw Error(e.code(), context + ": " + e.what(), e.hint());
    } catch (const std::exception& e) {
        throw Error(ExitCode::failed, context + ": " + e.what());
    }
}

}  // namespace sandboxctl
