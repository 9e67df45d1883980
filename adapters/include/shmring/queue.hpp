// Queues: messages with the semantics of a POSIX message queue, over an SPSC or MPMC ring.
// QueueSender and QueueReceiver are its two sides.
//
// Created with a maximum number of messages, a maximum message size and an engine: SPSC (one
// sender and one receiver at a time) or MPMC (any number of each). As with mq_maxmsg, a queue
// holds at most max_messages messages, of any size up to the maximum, with either engine: a send
// to a full queue says again (or waits). Message boundaries, per-sender order and exactly-once
// delivery hold.
//
// send: a message longer than the maximum is refused with too_large (EMSGSIZE) and nothing is
// sent. receive: a buffer too small for the next message gives too_large and the message stays
// queued. Each waiting call takes a deadline (kNoDeadline waits for ever; one that has passed, such
// as kTryOnce, only tries) or a timeout counted from its first miss (zero or less only tries; the
// C API's negative "for ever" is kNoDeadline here). A call that
// only tried and failed says again; one that waited in vain, timed_out. Every call tries first:
// one that succeeds at once reads no clock, allocates nothing and makes no system call (unless it
// must wake a sleeping peer).
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <sys/uio.h>

#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/wait.hpp"

namespace shmring {

struct QueueConfig {
    std::uint64_t max_messages = 0;
    std::uint32_t max_message_size = 0;
    layout::Engine engine = layout::Engine::spsc;
    unsigned mode = 0600;
    SegmentOptions segment;
};

Outcome create_queue(std::string_view name, const QueueConfig& config);

// Sends into a queue. Each handle is single-threaded.
class QueueSender {
public:
    static Result<QueueSender> open(std::string_view name, const EndpointOptions& options = {});

    // ok, again (try: full), timed_out, too_large, corrupt.
    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline) noexcept;
    Status send(std::span<const std::byte> message, std::chrono::nanoseconds timeout) noexcept;
    [[nodiscard]] Status try_send(std::span<const std::byte> message) noexcept;

    // Zero copy: room for a message of up to max_message_size() bytes; fill it, then
    // commit(length) or abort().
    Loan claim(Deadline deadline = kNoDeadline) noexcept;
    Loan claim(std::chrono::nanoseconds timeout) noexcept;
    void commit(std::size_t length) noexcept;
    void abort() noexcept;

    // Sends messages[0..n) in order as long as they fit, waiting (until `deadline`) only for the
    // first; `count` says how many went. An SPSC batch is published with one store and at most
    // one wake-up. Nothing sent: `status` says why (too_large: messages[0] is above the maximum).
    IoResult send_batch(std::span<const iovec> messages, Deadline deadline = kNoDeadline) noexcept;
    IoResult send_batch(std::span<const iovec> messages, std::chrono::nanoseconds timeout) noexcept;

    // A descriptor that poll/epoll report readable when there is room for a message of the
    // largest size. Created on first use; owned by the handle.
    Result<int> poll_fd();

    void set_wait(WaitStrategy strategy) noexcept;
    std::size_t max_message_size() const noexcept;
    const RingSegment& ring() const noexcept;

    QueueSender(QueueSender&&) noexcept;
    QueueSender& operator=(QueueSender&&) noexcept;
    ~QueueSender();
    class Impl;

private:
    explicit QueueSender(std::unique_ptr<Impl> impl);
    // Behind a pointer so that the poll helper's view of the endpoint survives moves of the handle.
    std::unique_ptr<Impl> impl_;
};

// Receives from a queue. Each handle is single-threaded.
class QueueReceiver {
public:
    static Result<QueueReceiver> open(std::string_view name, const EndpointOptions& options = {});

    // `length` receives the message's size. too_large: `buffer` is too small and the message stays.
    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline) noexcept;
    Status receive(std::span<std::byte> buffer, std::size_t& length, std::chrono::nanoseconds timeout) noexcept;
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept;

    // Zero copy: the next message in place, until release().
    View peek(Deadline deadline = kNoDeadline) noexcept;
    View peek(std::chrono::nanoseconds timeout) noexcept;
    void release() noexcept;

    // Receives into buffers[0..n) as long as messages are there, waiting (until `deadline`) only
    // for the first: each iov_len gives a buffer's capacity and receives its message's length.
    // Stops before a message longer than its buffer, which stays queued (too_large when it is the
    // first).
    IoResult receive_batch(std::span<iovec> buffers, Deadline deadline = kNoDeadline) noexcept;
    IoResult receive_batch(std::span<iovec> buffers, std::chrono::nanoseconds timeout) noexcept;

    // A descriptor that poll/epoll report readable when a message is there. Created on first use;
    // owned by the handle.
    Result<int> poll_fd();

    void set_wait(WaitStrategy strategy) noexcept;
    std::size_t max_message_size() const noexcept;
    const RingSegment& ring() const noexcept;

    QueueReceiver(QueueReceiver&&) noexcept;
    QueueReceiver& operator=(QueueReceiver&&) noexcept;
    ~QueueReceiver();
    class Impl;

private:
    explicit QueueReceiver(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace shmring
