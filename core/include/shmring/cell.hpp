// Cell: the latest value of some shared state (a position, a configuration, a set of counters),
// written by any number of processes and read by any number, never torn.
//
// A write publishes a new value with a version one above the last; writes are serialised (the last
// writer wins). A read copies the latest complete value without blocking writers or being blocked
// by them, and without storing anything shared: readers never slow a writer down. A writer killed
// in the middle of a write leaves the previous value readable, and the next writer takes over its
// turn. Readers can wait for a version newer than one they have. Protocol:
// detail/cell_protocol.hpp; writer lock: detail/owner_lock.hpp.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <span>
#include <string_view>

#include "shmring/detail/cell_protocol.hpp"
#include "shmring/detail/owner_lock.hpp"
#include "shmring/detail/reassign.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

// A cell for values of up to `max_size` bytes (1 byte to 64 MiB).
Outcome create_cell(std::string_view name, std::size_t max_size, unsigned mode = 0600, const SegmentOptions& options = {});

class Cell {
public:
    static Result<Cell> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<Cell> attach(RingSegment ring, const EndpointOptions& options = {});

    std::size_t max_size() const noexcept { return ring().geometry().slot_size; }

    // Publishes `value` as the newest version. Waits only for another writer's write in progress
    // (until `deadline`: timed_out; kTryOnce: again). too_large above max_size(), corrupt;
    // not_owner in a process forked after the handle was opened.
    Status write(std::span<const std::byte> value, Deadline deadline = kNoDeadline) noexcept;

    // Copies the latest value into `buffer`: ok with its `length` and `version` (0 and 0 before the
    // first write); too_large with `length` and `version` set when `buffer` is shorter (nothing
    // copied); again if writers rewrote it faster than it could be copied many times over; corrupt.
    [[nodiscard]] Status read(std::span<std::byte> buffer, std::size_t& length, std::uint64_t& version) noexcept;

    // Waits until the version is above `seen`, then sets `newer` to it: ok, timed_out, or again
    // (kTryOnce, not newer yet).
    Status wait_newer(std::uint64_t seen, std::uint64_t& newer, Deadline deadline = kNoDeadline) noexcept;

    // The newest version, 0 before the first write.
    std::uint64_t version() const noexcept { return detail::cell_latest(ring()); }

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    // Readers and writers waiting for the writer lock sleep here; each write wakes them.
    layout::WaitEvent& event() const noexcept { return ring().data_event(); }

    Cell(Cell&& other) noexcept = default;
    Cell& operator=(Cell&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    Cell(const Cell&) = delete;
    Cell& operator=(const Cell&) = delete;
    ~Cell() = default;

private:
    explicit Cell(Endpoint endpoint) noexcept
        : endpoint_(std::move(endpoint)), writer_(detail::cell_block(endpoint_.ring()).writer, endpoint_.role_word()) {}
    Status take_writer_lock(Deadline deadline) noexcept;

    Endpoint endpoint_;
    detail::OwnerLockProtocol writer_;
};

}  // namespace shmring
