// Internal. What both sides of a queue share: one engine's handle behind a variant, its poll
// descriptor, and opening.
#pragma once

#include <functional>
#include <optional>
#include <memory>
#include <span>
#include <sys/uio.h>
#include <variant>

#include "patience.hpp"
#include "shmring/detail/poll_helper.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

// The bytes an iovec names.
inline std::span<const std::byte> bytes_of(const iovec& message) noexcept {
    return {static_cast<const std::byte*>(message.iov_base), message.iov_len};
}
inline std::span<std::byte> room_of(const iovec& buffer) noexcept { return {static_cast<std::byte*>(buffer.iov_base), buffer.iov_len}; }

// A batch's store of the position: SPSC commits and releases of a batch wait for it (Flush::later);
// MPMC makes each visible at once and has nothing to flush.
template <class Handle>
void flush_batch(Handle& handle) noexcept {
    if constexpr (requires { handle.flush(); }) handle.flush();
}

// A batch on `handle`: moves item after item while `move(i)` says ok; when none moved and the call
// may wait, waits for the first with `wait_first(deadline)` (its miss counted once), then goes on.
// One flush at the end (flush_batch). Ok with the count when anything moved, else why not.
template <class Handle, class Move, class WaitFirst>
IoResult move_batch(Handle& handle, std::size_t count, const Patience& patience, Move move, WaitFirst wait_first) noexcept {
    std::size_t moved = 0;
    Status status = Status::ok;
    const auto move_while_ready = [&] {
        while (moved < count && (status = move(moved)) == Status::ok) ++moved;
    };
    move_while_ready();
    if (moved == 0 && status == Status::again) {
        if (const auto deadline = patience.after_miss()) {
            const Endpoint::MissCounted counted(handle.endpoint());
            status = wait_first(*deadline);
            if (status == Status::ok) {
                moved = 1;
                move_while_ready();
            }
        }
    }
    flush_batch(handle);
    return moved != 0 ? IoResult{Status::ok, moved} : IoResult{status, 0};
}

// The periodic probe of a queue side's poll helper. Queues have no end of file; an MPMC side's
// probe repairs what a dead peer left in the slot it watches, as a waiting endpoint's would.
template <class Side>
std::function<bool()> queue_poll_probe(const Side& side) {
    return [&side] {
        if constexpr (requires { side.repair_stalled(); }) (void)side.repair_stalled();
        return false;
    };
}

// A queue side: the SPSC or the MPMC handle of its role. Both speak the same ladder (loan.hpp), so
// every call is one visit.
template <class SpscHandle, class MpmcHandle>
class QueueSide {
public:
    using Handle = std::variant<SpscHandle, MpmcHandle>;
    explicit QueueSide(Handle handle) : handle_(std::move(handle)) {}

    // Opens queue `name` and attaches the handle its engine needs, inside a new Impl.
    template <class Impl>
    static Result<std::unique_ptr<Impl>> open(std::string_view name, const EndpointOptions& options) {
        auto ring = RingSegment::open(name, Access::read_write, {std::nullopt, layout::ChannelKind::queue}, options.segment);
        if (!ring) return ring.error();
        const auto wrap = [](auto handle) -> Result<std::unique_ptr<Impl>> {
            if (!handle) return handle.error();
            return std::make_unique<Impl>(std::move(*handle));
        };
        if (ring->geometry().engine == layout::Engine::spsc) return wrap(SpscHandle::attach(std::move(*ring), options));
        return wrap(MpmcHandle::attach(std::move(*ring), options));
    }

    void set_wait(WaitStrategy strategy) noexcept {
        std::visit([&](auto& h) { h.endpoint().set_wait_strategy(strategy); }, handle_);
    }
    std::size_t max_message_size() const noexcept { return ring().geometry().max_message; }
    const RingSegment& ring() const noexcept {
        return std::visit([](const auto& h) -> const RingSegment& { return h.ring(); }, handle_);
    }

protected:
    // The poll descriptor, watching `event` of the ring for `ready` (given the handle).
    template <class Event, class Ready>
    Result<int> poll_fd(Event event, Ready ready) {
        return std::visit(
            [&](auto& h) { return poll_.get(h.endpoint(), (h.ring().*event)(), [&h, ready] { return ready(h); }, queue_poll_probe(h)); },
            handle_);
    }

    Handle handle_;
    PollDescriptor poll_;  // after handle_: the helper stops before the ring it watches goes
};

}  // namespace shmring::detail
