// Semaphore: a counting semaphore between processes, with an initial count and a maximum.
//
// post adds one (overflow at the maximum), wait takes one, waiting while the count is zero. The
// count lives in the segment and changes only by CAS: a waiter killed while it waits holds nothing,
// so no count is lost or invented; the wake-up is only a hint to look again. Neither a post nor a
// wait that succeeds at once makes a system call unless somebody sleeps.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstdint>
#include <string_view>

#include "shmring/detail/reassign.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

// maximum: 1 to layout::kMaxSemaphoreCount; initial: at most maximum.
Outcome create_semaphore(std::string_view name, std::uint32_t initial, std::uint32_t maximum, unsigned mode = 0600,
                         const SegmentOptions& options = {});

class Semaphore {
public:
    static Result<Semaphore> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<Semaphore> attach(RingSegment ring, const EndpointOptions& options = {});

    // Adds one and wakes a sleeper, if any: ok, overflow (at the maximum: nothing added), corrupt.
    Status post() noexcept;
    // Takes one: ok, again (zero), corrupt.
    [[nodiscard]] Status try_wait() noexcept;
    // Takes one, waiting while the count is zero (until `deadline`: timed_out).
    Status wait(Deadline deadline = kNoDeadline) noexcept;

    // The count now (a racy look).
    std::uint32_t value() const noexcept { return count().load(std::memory_order_relaxed); }
    std::uint32_t maximum() const noexcept { return static_cast<std::uint32_t>(ring().geometry().max_messages); }

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    // Waiters sleep here; a post wakes them.
    layout::WaitEvent& event() const noexcept { return ring().data_event(); }

    Semaphore(Semaphore&& other) noexcept = default;
    Semaphore& operator=(Semaphore&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    Semaphore(const Semaphore&) = delete;
    Semaphore& operator=(const Semaphore&) = delete;
    ~Semaphore() = default;

private:
    explicit Semaphore(Endpoint endpoint) noexcept : endpoint_(std::move(endpoint)) {}
    SharedAtomic<std::uint32_t>& count() const noexcept { return reinterpret_cast<layout::SemaphoreBlock*>(ring().data())->count; }
    Status take() noexcept;
    Status counted(Status status) noexcept;

    Endpoint endpoint_;
};

}  // namespace shmring
