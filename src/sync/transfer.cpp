#include "sync/transfer.hpp"

#include <filesystem>
#include <memory>

#include "core/error.hpp"
#include "core/interrupt.hpp"
#include "core/log.hpp"
#include "core/process.hpp"
#include "sync/path_safety.hpp"
#include "sync/progress.hpp"

namespace sandboxctl::sync {

long long read_entry_data(archive* in, const std::function<void(const void*, std::size_t, la_int64_t)>& write) {
    const void* block = nullptr;
    size_t size = 0;
    la_int64_t offset = 0;
    long long bytes = 0;
    int rc;
    while ((rc = archive_read_data_block(in, &block, &size, &offset)) == ARCHIVE_OK) {
        write(block, size, offset);
        bytes += static_cast<long long>(size);
    }
    if (rc != ARCHIVE_EOF) throw failure(std::string("the source archive is damaged: ") + archive_error_string(in));
    return bytes;
}
namespace {

// A local source: tar over the requested paths, the list given on stdin.
std::unique_ptr<StreamingChild> start_local_tar(const SyncOptions& options, const std::vector<std::string>& paths,
                                                const TempDir& work) {
    std::string list;
    for (const auto& p : paths) list += p + '\0';
    std::filesystem::remove(work / "paths");
    write_private_file(work / "paths", list);
    std::string script =
        "cd -- " + shell_quote(options.from.path) + " && exec tar cf - --null --no-recursion --hard-dereference -T -";
    return std::make_unique<StreamingChild>(ProcessSpec{options.from.command(script), {}}, (work / "paths").string());
}

char listing_type(unsigned type) {
    if (type == AE_IFREG) return 'f';
    if (type == AE_IFDIR) return 'd';
    if (type == AE_IFLNK) return 'l';
    return 'o';
}

// The entry's path relative to the root, as the listing spells it.
std::string relative_path(archive_entry* entry) {
    std::string path = archive_entry_pathname(entry);
    if (path.starts_with("./")) path = path.substr(2);
    while (!path.empty() && path.back() == '/') path.pop_back();
    return path;
}

}  // namespace

void transfer(const SyncOptions& options, const std::vector<std::string>& paths, SyncReport& report,
              Destination& destination, const TempDir& work, long long planned_bytes, RemoteSession* session) {
    TransferProgress progress(paths.size(), planned_bytes);
    std::size_t done = 0;
    std::unique_ptr<archive, int (*)(archive*)> in(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(in.get());
    std::unique_ptr<StreamingChild> local_source;
    if (session) {
        session->request(paths, in.get());
    } else {
        local_source = start_local_tar(options, paths, work);
        if (archive_read_open_fd(in.get(), local_source->stdout_fd(), 1 << 20) != ARCHIVE_OK) {
            throw failure(std::string("could not read the source archive: ") + archive_error_string(in.get()));
        }
    }
    archive_entry* entry = nullptr;
    int rc;
    while ((rc = archive_read_next_header(in.get(), &entry)) == ARCHIVE_OK) {
        interrupt::throw_if_requested();
        std::string path = relative_path(entry);
        char type = listing_type(archive_entry_filetype(entry));
        const char* link = archive_entry_symlink(entry);
        std::string refusal = archive_entry_hardlink(entry) && safe_relative(path)
                                  ? "hard link"
                                  : refusal_reason(path, type, link ? link : "");
        if (!refusal.empty()) {
            report.refused.emplace_back(path, refusal);
            log::warning("refused \"{}\": {}", path, refusal);
            continue;
        }
        if (type == 'f') {
            report.bytes_transferred += destination.file(in.get(), entry, path);
            ++report.files_transferred;
        } else if (type == 'l') {
            destination.symlink(entry, path, link);
            ++report.symlinks_transferred;
        } else {
            destination.create_directory(path);
        }
        progress.update(++done, report.bytes_transferred);
    }
    if (rc != ARCHIVE_EOF)
        throw failure(std::string("the source archive is damaged: ") + archive_error_string(in.get()));
    if (session)
        session->finish();
    else
        local_source->finish();
}

}  // namespace sandboxctl::sync
