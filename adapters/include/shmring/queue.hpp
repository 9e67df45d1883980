// Queue: messages with the semantics of a POSIX message queue, over an SPSC or MPMC ring.
//
// Created with a maximum number of messages, a maximum message size and an engine: SPSC (one
// sender and one receiver at a time, variable-length records) or MPMC (any number of each,
// fixed-size slots). The capacity is rounded up to a power of two: an SPSC queue holds at least
// max_messages messages of the maximum size (more when they are smaller), an MPMC queue exactly
// bit_ceil(max_messages). Message boundaries, per-sender order and exactly-once delivery hold.
//
// send: a message longer than the maximum is refused with too_large (EMSGSIZE) and nothing is
// sent. receive: a buffer too small for the next message gives too_large and the message stays
// queued. Each takes a deadline: kNoDeadline waits for ever, a deadline in the past only tries.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/pipe.hpp"
#include "shmring/wait.hpp"

namespace shmring {

enum class QueueRole { sender, receiver };

struct QueueConfig {
    std::uint64_t max_messages = 0;
    std::uint32_t max_message_size = 0;
    layout::Engine engine = layout::Engine::spsc;
    unsigned mode = 0600;
    SegmentOptions segment;
};

Outcome create_queue(std::string_view name, const QueueConfig& config);

// A message loaned for writing in place, or lent for reading in place.
struct QueueLoan {
    Status status;
    std::span<std::byte> data;  // max_message_size() bytes to fill
};
struct QueueView {
    Status status;
    std::span<const std::byte> data;
};

class Queue {
public:
    static Result<Queue> open(std::string_view name, QueueRole role, const EndpointOptions& options = {});

    Queue(Queue&&) noexcept;
    Queue& operator=(Queue&&) noexcept;
    ~Queue();

    // Sender only. ok, again (try: full), timed_out, too_large, corrupt.
    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline) noexcept;
    [[nodiscard]] Status try_send(std::span<const std::byte> message) noexcept;
    // Receiver only. `length` receives the message's size.
    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline) noexcept;
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept;

    // Zero copy, sender: loan a message buffer, fill it, then publish(length) or abort().
    QueueLoan loan(Deadline deadline = kNoDeadline) noexcept;
    void publish(std::size_t length) noexcept;
    void abort() noexcept;
    // Zero copy, receiver: read the next message in place, then release() it.
    QueueView peek(Deadline deadline = kNoDeadline) noexcept;
    void release() noexcept;

    // A descriptor that poll/epoll report readable when this endpoint can make progress
    // (receiver: a message is there; sender: there is room). Created on first use.
    Result<int> poll_fd();

    void set_wait(WaitStrategy strategy) noexcept;
    std::size_t max_message_size() const noexcept;
    QueueRole role() const noexcept;
    const RingSegment& ring() const noexcept;

    class Impl;

private:
    explicit Queue(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace shmring
