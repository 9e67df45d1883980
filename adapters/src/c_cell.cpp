// The C API of cells (shmring.h) on top of shmring::Cell (cell.hpp): argument checks, timeouts,
// and the poll descriptor, which fires while the cell holds a version newer than the handle's last.
#include <atomic>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "c_api_support.hpp"
#include "patience.hpp"
#include "shmring/cell.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/shmring.h"

struct shmring_cell {
    explicit shmring_cell(shmring::Cell opened) : cell(std::move(opened)) {}
    shmring::Cell cell;
    // The newest version this handle read or waited for: the poll helper's thread reads it.
    std::atomic<std::uint64_t> seen{0};
    shmring::detail::PollDescriptor poll;  // after the cell: its helper stops first

    // The handle saw `version`: the descriptor fires again for a newer one.
    void saw(std::uint64_t version) {
        // Relaxed: the helper compares it with the cell's version; a stale look costs one needless wake-up.
        seen.store(version, std::memory_order_relaxed);
        poll.rearm();
    }
};

using shmring::Status;
using namespace shmring::c_api;

extern "C" {

int shmring_cell_create(const char* name, size_t max_size, unsigned mode) {
    if (name == nullptr || max_size == 0 || max_size > shmring::layout::kMaxCellValue) return -EINVAL;
    return guarded([&] {
        const auto created = shmring::create_cell(name, max_size, mode_or_default(mode));
        return created ? 0 : fail(created.error());
    });
}

int shmring_cell_open(const char* name, shmring_cell** out) {
    if (name == nullptr || out == nullptr) return -EINVAL;
    return guarded([&] {
        auto cell = shmring::Cell::attach(name);
        if (!cell) return fail(cell.error());
        *out = std::make_unique<shmring_cell>(std::move(*cell)).release();
        return 0;
    });
}

int shmring_cell_write(shmring_cell* c, const void* value, size_t len) {
    if (c == nullptr || (value == nullptr && len != 0)) return -EINVAL;
    const Status status = c->cell.write(std::span(static_cast<const std::byte*>(value), len));
    return status == Status::ok ? 0 : negated(status);
}

ssize_t shmring_cell_read(shmring_cell* c, void* buf, size_t cap, uint64_t* version) {
    if (c == nullptr || (buf == nullptr && cap != 0)) return -EINVAL;
    std::size_t length = 0;
    std::uint64_t read_version = 0;
    const Status status = c->cell.read(std::span(static_cast<std::byte*>(buf), cap), length, read_version);
    if (status == Status::ok || status == Status::too_large) {
        if (version != nullptr) *version = read_version;
    }
    // The handle is up to date: the descriptor must be quiet until a newer version (even if the
    // helper fired for the version just read after this handle had drained it).
    if (status == Status::ok && read_version >= c->seen.load(std::memory_order_relaxed)) c->saw(read_version);
    return length_or_error(status, length);
}

int64_t shmring_cell_wait(shmring_cell* c, uint64_t seen, int64_t timeout_ns) {
    if (c == nullptr) return -EINVAL;
    std::uint64_t newer = 0;
    auto& cell = c->cell;
    const Status status = shmring::detail::tried_then_waited(
        cell.endpoint(), patience_of(timeout_ns), [&] { return cell.wait_newer(seen, newer, shmring::kTryOnce); },
        [&](shmring::Deadline deadline) { return cell.wait_newer(seen, newer, deadline); });
    if (status == Status::again || status == Status::timed_out) c->poll.rearm();  // nothing newer than `seen`
    if (status != Status::ok) return negated(status);
    if (newer > static_cast<std::uint64_t>(INT64_MAX)) return negated(Status::corrupt);  // no write makes so many versions
    // Relaxed: only this handle's thread stores `seen`.
    if (newer > c->seen.load(std::memory_order_relaxed)) c->saw(newer);
    return static_cast<int64_t>(newer);
}

ssize_t shmring_cell_max_size(shmring_cell* c) {
    if (c == nullptr) return -EINVAL;
    return static_cast<ssize_t>(c->cell.max_size());
}

int shmring_cell_fd(shmring_cell* c) {
    if (c == nullptr) return -EINVAL;
    return guarded([&] {
        auto fd = c->poll.get(
            c->cell.endpoint(), c->cell.event(),
            // Relaxed: a stale `seen` costs one needless or one later wake-up of the descriptor, which
            // the handle's next read or wait puts right (saw, rearm).
            [c] { return c->cell.version() > c->seen.load(std::memory_order_relaxed); }, [] { return false; });
        return fd ? *fd : fail(fd.error());
    });
}

void shmring_cell_close(shmring_cell* c) { delete c; }

}  // extern "C"
