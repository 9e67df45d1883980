// shmring cell read|write|watch NAME: a cell from the shell. write publishes a new version (the
// argument, or all of stdin without one final newline, as $(...) takes it); read prints the latest
// value on a line of its own (or as a JSON line with its version); watch prints the latest value
// and then each newer one as it comes, waiting with wait_newer in slices so that Ctrl-C is heard.
//
// A cell keeps only its latest value: a watcher slower than its writers sees the newest value,
// not each one (the versions in --json tell what it skipped).
#include <cerrno>
#include <cstring>
#include <unistd.h>
#include <vector>

#include "commands.hpp"
#include "diagnostics.hpp"
#include "fd_io.hpp"
#include "message_io.hpp"
#include "shmring/cell.hpp"
#include "stop_signal.hpp"

namespace shmring::cli {

namespace {

// A cell may hold up to 4 x 64 MiB of value buffers: a command that copies one value at a time
// touches the pages it needs, not every one up front.
Result<Cell> attach_cell(const std::string& name) {
    EndpointOptions options;
    options.segment.prefault = false;
    return Cell::attach(name, options);
}

// One value as read prints it: the bytes and a newline, or with --json {"version","bytes","text"}.
bool print_value(std::span<std::byte> buffer, std::size_t length, std::uint64_t version, bool json) {
    if (json) {
        Json line{{"version", version}};
        line.update(message_json(std::span<const std::byte>(buffer.data(), length), 0));
        const std::string text = line.dump() + "\n";
        return write_all(STDOUT_FILENO, std::as_bytes(std::span(text.data(), text.size())));
    }
    buffer[length] = std::byte{'\n'};  // the buffer has room for it past the largest value
    return write_all(STDOUT_FILENO, std::span<const std::byte>(buffer.data(), length + 1));
}

// Reads the latest value into `buffer` (max_size + 1 bytes), retrying while writers rewrite it
// faster than it can be copied (again) unless a stop is requested.
Status read_latest(Cell& cell, std::vector<std::byte>& buffer, std::size_t& length, std::uint64_t& version) {
    for (;;) {
        const Status status = cell.read(std::span(buffer.data(), cell.max_size()), length, version);
        if (status != Status::again || stop_requested()) return status;
    }
}

// All of stdin, of which the first `limit` bytes are kept; `size` receives how many there were.
// False with errno set on a read error (EINTR: a stop request).
bool read_stdin(std::size_t limit, std::string& value, std::uint64_t& size) {
    std::vector<char> chunk(kStreamChunk);
    size = 0;
    for (;;) {
        const ssize_t n = ::read(STDIN_FILENO, chunk.data(), chunk.size());
        if (n < 0 && errno == EINTR && !stop_requested()) continue;
        if (n <= 0) return n == 0;
        size += static_cast<std::uint64_t>(n);
        const std::size_t keep = std::min(static_cast<std::size_t>(n), limit - value.size());
        value.append(chunk.data(), keep);
    }
}

}  // namespace

int run_cell_write(const CellOptions& options) {
    install_stop_handlers();
    auto cell = attach_cell(options.name);
    if (!cell) return fail(options.name, reason_of(cell.error(), options.name));
    std::string input;
    std::uint64_t size = options.value.size();
    const std::string* value = &options.value;
    if (options.from_stdin) {
        // One byte past the limit: a value of max_size bytes and its final newline still fit.
        if (!read_stdin(cell->max_size() + 1, input, size)) {
            if (stop_requested()) return interrupted();
            return fail(options.name, std::string("stdin: ") + std::strerror(errno));
        }
        if (size == input.size() && !input.empty() && input.back() == '\n') {
            input.pop_back();
            --size;
        }
        value = &input;
    }
    if (size > cell->max_size())
        return fail(options.name, "value: " + std::to_string(size) + " bytes, above the limit of " + std::to_string(cell->max_size()) +
                                      " bytes (EMSGSIZE)");
    const auto bytes = std::as_bytes(std::span(value->data(), value->size()));
    for (;;) {
        if (stop_requested()) return interrupted();
        // Waits only for another writer's write in progress (or one that died writing).
        const Status status = cell->write(bytes, deadline_after(kStopCheckInterval));
        if (status == Status::timed_out || status == Status::again) continue;
        if (status != Status::ok) return fail(options.name, reason_of(status));
        return kExitSuccess;
    }
}

int run_cell_read(const CellOptions& options) {
    install_stop_handlers();
    auto cell = attach_cell(options.name);
    if (!cell) return fail(options.name, reason_of(cell.error(), options.name));
    std::vector<std::byte> buffer(cell->max_size() + 1);
    std::size_t length = 0;
    std::uint64_t version = 0;
    const Status status = read_latest(*cell, buffer, length, version);
    if (stop_requested()) return interrupted();
    if (status != Status::ok) return fail(options.name, reason_of(status));
    if (version == 0) return fail(options.name, "no value yet: nothing was written (version 0)");
    if (!print_value(buffer, length, version, options.json)) return stdout_failed(options.name);
    return kExitSuccess;
}

int run_cell_watch(const CellOptions& options) {
    install_stop_handlers();
    auto cell = attach_cell(options.name);
    if (!cell) return fail(options.name, reason_of(cell.error(), options.name));
    std::vector<std::byte> buffer(cell->max_size() + 1);
    std::uint64_t seen = 0;  // the latest value first, if there is one: then each newer one
    for (std::uint64_t printed = 0; options.count == 0 || printed < options.count;) {
        if (stop_requested()) return interrupted();
        std::uint64_t newer = 0;
        const Status waited = cell->wait_newer(seen, newer, deadline_after(kStopCheckInterval));
        if (waited == Status::timed_out || waited == Status::again) continue;
        if (waited != Status::ok) return fail(options.name, reason_of(waited));
        std::size_t length = 0;
        std::uint64_t version = 0;
        const Status status = read_latest(*cell, buffer, length, version);
        if (stop_requested()) return interrupted();
        if (status != Status::ok) return fail(options.name, reason_of(status));
        if (version <= seen) continue;  // never: versions only grow
        // A reader of stdout that left (`| head -n 1`) ends the watch quietly.
        if (!print_value(buffer, length, version, options.json)) return stdout_failed(options.name);
        seen = version;
        ++printed;
    }
    return kExitSuccess;
}

}  // namespace shmring::cli
