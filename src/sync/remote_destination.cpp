#include "sync/remote_destination.hpp"

#include <unistd.h>

#include <fmt/format.h>
#include <cerrno>
#include <ctime>
#include <filesystem>

#include "core/error.hpp"
#include "core/process.hpp"
#include "sync/path_safety.hpp"

namespace sandboxctl::sync {
namespace {

using EntryCopy = std::unique_ptr<archive_entry, void (*)(archive_entry*)>;

class RemoteDestination : public Destination {
public:
    RemoteDestination(const SyncOptions& options, const TempDir& work)
        : options_(options), work_(work), writer_(archive_write_new(), archive_write_free) {}

    void remove_partials(const std::vector<std::string>& paths) override {
        for (const auto& p : paths) script_ += "rm -f -- " + quoted(p) + "\n";
    }
    void create_directory(const std::string& path) override { script_ += "mkdir -p -- " + quoted(path) + "\n"; }
    void remove(const std::string& path) override { script_ += "rm -rf -- " + quoted(path) + "\n"; }

    long long file(archive* in, archive_entry* entry, const std::string& path) override {
        start_stream();
        write_header(entry, path);
        long long written = read_entry_data(in, [&](const void* block, std::size_t size, la_int64_t) {
            if (archive_write_data(writer_.get(), block, size) < 0) throw send_error();
        });
        finish_rename(path);
        return written;
    }

    void symlink(archive_entry* entry, const std::string& path, const std::string&) override {
        start_stream();
        write_header(entry, path);
        finish_rename(path);
    }

    void set_attributes(const std::string& path, const Entry& entry) override {
        script_ += fmt::format("chmod {:o} -- {}\ntouch -h -t {} -- {}\n", entry.mode, quoted(path),
                               touch_time(entry.mtime), quoted(path));
        if (options_.chown)
            script_ +=
                fmt::format("chown -h {}:{} -- {}\n", options_.chown->first, options_.chown->second, quoted(path));
    }

    void flush() override {
        if (!script_.empty()) run_script(script_);
        script_.clear();
    }

    void finish() override {
        if (receiver_) {
            bool closed = archive_write_close(writer_.get()) == ARCHIVE_OK;
            receiver_->finish();  // a remote tar that failed says why
            receiver_.reset();
            if (!closed) throw send_error();
        }
        if (!script_.empty()) run_script(script_);
    }

private:
    static std::string quoted(const std::string& path) { return shell_quote("./" + path); }

    static std::string touch_time(long long mtime) {
        std::time_t t = static_cast<std::time_t>(mtime);
        char buffer[32];
        std::strftime(buffer, sizeof buffer, "%Y%m%d%H%M.%S", std::gmtime(&t));
        return buffer;
    }

    Error send_error() const {
        return failure(std::string("could not send to ") + options_.to.text + ": " +
                       archive_error_string(writer_.get()));
    }

    // The entry under its partial name (and the --chown owner) into the stream.
    void write_header(archive_entry* entry, const std::string& path) {
        EntryCopy copy(archive_entry_clone(entry), archive_entry_free);
        archive_entry_set_pathname(copy.get(), partial_name(path).string().c_str());
        if (options_.chown) {
            archive_entry_set_uid(copy.get(), options_.chown->first);
            archive_entry_set_gid(copy.get(), options_.chown->second);
        }
        if (archive_write_header(writer_.get(), copy.get()) < ARCHIVE_WARN) {
            throw failure("could not send \"" + path + "\" to " + options_.to.text + ": " +
                          archive_error_string(writer_.get()));
        }
    }

    void finish_rename(const std::string& path) {
        script_ += "mv -f -- " + quoted(partial_name(path).string()) + " " + quoted(path) + "\n";
    }

    void start_stream() {
        if (receiver_) return;
        std::string owner = options_.chown ? "--same-owner --numeric-owner" : "--no-same-owner";
        std::string script = "mkdir -p -- " + shell_quote(options_.to.path) + " && cd -- " +
                             shell_quote(options_.to.path) + " && exec tar xpf - " + owner;
        receiver_ = std::make_unique<StreamingChild>(ProcessSpec{options_.to.command(script), {}}, "",
                                                     StreamingChild::Stream::write_stdin);
        archive_write_set_format_pax_restricted(writer_.get());
        if (archive_write_open_fd(writer_.get(), receiver_->stdin_fd()) != ARCHIVE_OK) throw send_error();
    }

    void run_script(const std::string& body) {
        auto file = work_ / "remote-script.sh";
        std::filesystem::remove(file);
        write_private_file(file, "set -e\nexport TZ=UTC0\n" + body);
        std::string script = "mkdir -p -- " + shell_quote(options_.to.path) + " && cd -- " +
                             shell_quote(options_.to.path) + " && exec sh -s";
        StreamingChild child({options_.to.command(script), {}}, file.string());
        char buffer[4096];
        for (;;) {
            ssize_t n = ::read(child.stdout_fd(), buffer, sizeof buffer);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // the exit status tells what went wrong
        }
        child.finish();
    }

    const SyncOptions& options_;
    const TempDir& work_;
    std::unique_ptr<archive, int (*)(archive*)> writer_;
    std::unique_ptr<StreamingChild> receiver_;
    std::string script_;
};

}  // namespace

std::unique_ptr<Destination> make_remote_destination(const SyncOptions& options, const TempDir& work) {
    return std::make_unique<RemoteDestination>(options, work);
}

}  // namespace sandboxctl::sync
