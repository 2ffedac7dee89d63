#pragma once
// Where transferred entries go, and how the destination is changed: a local
// directory (local_destination.hpp) or one behind a remote shell
// (remote_destination.hpp). Every method throws a failure naming the entry
// when it cannot do its part.
#include <archive.h>
#include <archive_entry.h>

#include <functional>
#include <string>
#include <vector>

#include "sync/tree.hpp"

namespace sandboxctl::sync {

// Hands each data block of the entry just read from `in` to `write` (data,
// size, offset in the file); returns the bytes handed over. A damaged
// archive is a failure.
long long read_entry_data(archive* in, const std::function<void(const void*, std::size_t, la_int64_t)>& write);

class Destination {
public:
    virtual ~Destination() = default;
    // Removes partial files a crashed run left (found by the listing).
    virtual void remove_partials(const std::vector<std::string>& paths) = 0;
    virtual void create_directory(const std::string& path) = 0;
    virtual void remove(const std::string& path) = 0;
    // Writes the file whose header `entry` was just read from `in`; returns
    // the bytes written.
    virtual long long file(archive* in, archive_entry* entry, const std::string& path) = 0;
    virtual void symlink(archive_entry* entry, const std::string& path, const std::string& target) = 0;
    virtual void set_attributes(const std::string& path, const Entry& entry) = 0;
    // Applies the changes asked for so far (before the data stream starts).
    virtual void flush() {}
    // Completes the transfer: partial names become final names, changes are
    // applied and made durable.
    virtual void finish() = 0;
};

}  // namespace sandboxctl::sync
