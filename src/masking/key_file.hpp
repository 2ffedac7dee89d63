#pragma once
// The masking key's file ([masking] key_file): 64 hexadecimal digits (32
// random bytes) and a newline, mode 0600. Whoever holds it can test a guess
// ("is this masked e-mail alice@corp.example's?"), so it never leaves the
// file: not in a log, an error, a report or a child's command line.
#include <filesystem>
#include <string>

namespace sandboxctl::masking {

enum class KeyUse {
    create_if_missing,  // refresh: the first masked refresh makes it
    must_exist,         // verify, mask-check: a missing key is an error, not a new key
};

// The raw key bytes. Refuses (exit 2) a file that is not a regular file,
// that its group or others may read or write, or that does not hold one key.
std::string read_key(const std::filesystem::path& file, KeyUse use);

}  // namespace sandboxctl::masking
