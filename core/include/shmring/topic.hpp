// Topics: one publisher, many subscribers, each of which receives every message (publish-subscribe).
//
// The protocol is detail/topic_protocol.hpp; a handle here is that protocol on an attached
// endpoint, which adds the registry entry (where a subscriber keeps its cursor), the publisher's
// exclusive role, counters, waiting and waking.
//
// A topic is lossless (the publisher waits while its slowest subscriber is `capacity` messages
// behind) or lossy (it never waits; a subscriber that falls a lap behind resumes at the oldest
// message still there and counts what it missed). Every message carries its sequence number
// (1, 2, 3, ... per topic; View::sequence, or try_receive's `sequence`).
//
// The ladder (loan.hpp): try_claim / claim -> commit / abort, try_peek / peek -> release,
// try_send / send, try_receive / receive. Every commit and release is visible at once.
// Handles are single-threaded: one thread at a time may call a handle's methods.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <span>
#include <string_view>
#include <type_traits>

#include "shmring/detail/reassign.hpp"
#include "shmring/detail/topic_protocol.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

using detail::TopicStart;

// Creates topic `name` for messages of up to `max_message` bytes: lossless, it holds a subscriber
// at most `capacity` messages behind (1 to 2^24); lossy, it keeps at least the last `capacity`
// (1 to 2^24 - 1) for subscribers that fall behind.
Outcome create_topic(std::string_view name, std::uint64_t capacity, std::uint32_t max_message, layout::TopicPolicy policy,
                     unsigned mode = 0600, const SegmentOptions& options = {});

class TopicPublisher {
public:
    // Takes the publisher role (busy while a live publisher holds it) and continues the sequence
    // where the previous publisher left it.
    static Result<TopicPublisher> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<TopicPublisher> attach(RingSegment ring, const EndpointOptions& options = {});

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    std::size_t max_message() const noexcept { return ring().geometry().slot_size; }
    // The sequence number the next message will carry.
    std::uint64_t next_sequence() const noexcept { return writer_.position() + 1; }

    // Lends the next message's slot, max_message() bytes. again: a lossless topic's slowest
    // subscriber is `capacity` behind; too_large: `length` is above max_message(); busy: a loan is open.
    [[nodiscard]] Loan try_claim(std::size_t length = 0) noexcept {
        if (length > max_message()) return {Status::too_large, {}};
        return tried([&] { return writer_.try_claim(); });
    }

    Loan claim(std::size_t length = 0, Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<Loan>([&](auto attempt) { return wait_for_room(deadline, attempt); }, [&] { return try_claim(length); });
    }

    // Publishes the loaned slot holding its first `length` bytes.
    void commit(std::size_t length) noexcept {
        if (const auto committed = writer_.commit(length)) published(*committed);
    }

    // Gives the loan up: nothing is published.
    void abort() noexcept { (void)writer_.abort(); }

    [[nodiscard]] Status try_send(std::span<const std::byte> message) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        const Status status = tried([&] { return writer_.try_send(message); });
        if (status == Status::ok) published(message.size());
        return status;
    }

    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        return wait_for_room(deadline, [&] { return try_send(message); });
    }

    // Waits on the space event; its probe frees the publisher from subscribers that died.
    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_room(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().space_event(), deadline, attempt, [this, &probe]() noexcept {
            (void)reap_dead_subscribers();
            return probe();
        });
    }

    // A racy look, from any thread, at whether a message could be published now (poll helpers).
    bool has_room() const noexcept {
        // Relaxed: a look at a number; the publisher's own thread stores it.
        return detail::topic_has_room(ring(), ring().producer().position.load(std::memory_order_relaxed));
    }

    // Whether a gating subscriber died (a system call per gating subscriber). Only reads: a poll
    // helper thread may call it.
    bool has_dead_subscriber() const noexcept;
    // Frees the entries of gating subscribers that died, so that they hold nothing back; true if
    // any was. Slow: for waits and the full path. Only the handle's own thread may call it: two
    // threads reaping through one open file description would share its leases.
    bool reap_dead_subscribers() const noexcept;

    TopicPublisher(TopicPublisher&&) noexcept = default;
    TopicPublisher& operator=(TopicPublisher&& other) noexcept { return detail::reassign(*this, std::move(other)); }

private:
    explicit TopicPublisher(Endpoint endpoint) : endpoint_(std::move(endpoint)), writer_(endpoint_.ring()) {}

    void published(std::uint64_t bytes) noexcept {
        endpoint_.count_message(bytes);
        endpoint_.notify(ring().data_event());
    }
    // A try that found no room counts once per wait. Outside a wait (whose probe does it) it also
    // looks for dead subscribers holding the topic back, at most once per probe interval, and
    // tries again if it reaped any: a publisher that only tries is freed as one that waits.
    template <class Try>
    std::invoke_result_t<Try> tried(Try try_once) noexcept {
        auto result = try_once();
        if (status_of(result) != Status::again) return result;
        endpoint_.count_miss(Status::again, &layout::Counters::full);
        if (endpoint_.try_probe_due() && reap_dead_subscribers()) result = try_once();
        return result;
    }

    Endpoint endpoint_;
    detail::TopicWriter writer_;
};

class TopicSubscriber {
public:
    static Result<TopicSubscriber> attach(std::string_view name, const EndpointOptions& options = {},
                                          TopicStart start = TopicStart::next);
    static Result<TopicSubscriber> attach(RingSegment ring, const EndpointOptions& options = {}, TopicStart start = TopicStart::next);

    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    std::size_t max_message() const noexcept { return ring().geometry().slot_size; }
    // Messages this subscriber missed: lossy topics only.
    std::uint64_t lost() const noexcept { return reader_.lost(); }
    // The sequence number of the next message it will read.
    std::uint64_t next_sequence() const noexcept { return reader_.position() + 1; }

    // The next message in place (View::sequence is its number), until release(). again: nothing
    // new; busy: a message is open; corrupt: the segment broke the protocol.
    [[nodiscard]] View try_peek() noexcept {
        const View view = reader_.try_peek();
        if (view.status == Status::ok) taken_length_ = static_cast<std::uint32_t>(view.data.size());
        endpoint_.count_miss(view.status, &layout::Counters::empty);
        return view;
    }

    View peek(Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<View>([&](auto attempt) { return wait_for_data(deadline, attempt); }, [&] { return try_peek(); });
    }

    // Done with the message peeked. overwritten: a lossy publisher rewrote it meanwhile, so what
    // was read may be torn (it counts as lost). ok also when nothing was open.
    Status release() noexcept {
        const auto status = reader_.release();
        if (!status) return Status::ok;
        if (*status == Status::ok) endpoint_.count_message(taken_length_);
        moved_on();
        return *status;
    }

    // Copies the next message out; `length` receives its size and `sequence` (if not null) its
    // number. too_large: it is longer than `buffer`, and stays next.
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length, std::uint64_t* sequence = nullptr) noexcept {
        const Status status = reader_.try_receive(buffer, length, sequence);
        if (status == Status::ok) {
            endpoint_.count_message(length);
            moved_on();
        }
        endpoint_.count_miss(status, &layout::Counters::empty);
        return status;
    }

    Status receive(std::span<std::byte> buffer, std::size_t& length, std::uint64_t* sequence, Deadline deadline = kNoDeadline) noexcept {
        return wait_for_data(deadline, [&] { return try_receive(buffer, length, sequence); });
    }
    // As the other engines' receive: without the sequence number.
    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline) noexcept {
        return receive(buffer, length, nullptr, deadline);
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_data(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().data_event(), deadline, attempt, probe);
    }

    // A racy look, from any thread, at whether a message is there (poll helpers).
    bool has_data() const noexcept { return reader_.has_data(); }

    // Custody (detail::TopicReader::hold): reading no longer moves the cursor that holds a
    // lossless publisher back; confirm_through() does, and seek() reads again from a position
    // between the confirmed one and the publisher's. For a forwarder such as the bridge.
    void hold() noexcept { reader_.hold(); }
    std::uint64_t confirmed() const noexcept { return reader_.confirmed(); }
    std::uint64_t position() const noexcept { return reader_.position(); }
    bool confirm_through(std::uint64_t position) noexcept {
        if (!reader_.confirm_through(position)) return false;
        if (detail::topic_lossless(ring())) endpoint_.notify(ring().space_event());
        return true;
    }
    bool seek(std::uint64_t position) noexcept { return reader_.seek(position); }

    TopicSubscriber(TopicSubscriber&&) noexcept = default;
    TopicSubscriber& operator=(TopicSubscriber&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    // Leaves the topic: a lossless publisher waits for this subscriber no more. (A forked child's
    // copy of the handle is its parent's.)
    ~TopicSubscriber();

private:
    TopicSubscriber(Endpoint endpoint, TopicStart start);

    // A lossless publisher may wait for the room this subscriber's move made (a holding one's
    // cursor moves by confirm_through only).
    void moved_on() noexcept {
        if (detail::topic_lossless(ring()) && !reader_.holding()) endpoint_.notify(ring().space_event());
    }

    Endpoint endpoint_;
    detail::TopicReader reader_;
    std::uint32_t taken_length_ = 0;
    detail::ResetOnMove<bool> joined_;
};

}  // namespace shmring
