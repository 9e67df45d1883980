// SpscRing: one producer and one consumer exchanging variable-length records.
//
// The record protocol is detail/spsc_protocol.hpp; a handle here is that protocol on an attached
// endpoint, which adds the registry entry and its counters, the exclusive role, waiting and waking.
//
// The ladder (loan.hpp): try_claim / claim -> commit / abort and try_peek / peek -> release work in
// place (zero copy); try_send / try_receive copy; send / receive wait as the endpoint's
// WaitStrategy says, until a deadline. Flush::later with flush() moves many records with one store
// of the position; a handle flushes what it holds back before it waits and when it closes.
//
// Both handles are single-threaded: one thread at a time may call a handle's methods.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>

#include "shmring/detail/reassign.hpp"
#include "shmring/detail/spsc_protocol.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

Outcome create_spsc_ring(std::string_view name, std::uint64_t capacity_bytes, layout::ChannelKind kind = layout::ChannelKind::raw,
                         unsigned mode = 0600, const SegmentOptions& options = {});

namespace detail {

// The attempt of a blocking call, flushing whatever the handle holds back before it waits: records
// committed (or room released) with Flush::later are what the other side waits for, so waiting for
// it with them unflushed would hold both sides until their deadlines. An attempt that succeeds
// costs one more compare; flush() is a compare when nothing is pending.
template <class Side, class Attempt>
auto flushing_first(Side& side, Attempt& attempt) noexcept {
    return [&side, &attempt]() noexcept {
        const Status status = attempt();
        if (status == Status::again) side.flush();
        return status;
    };
}

// A handle that closes flushes what it holds back, for the same reason. A moved-from handle maps
// nothing, and a forked child's copy of a handle is its parent's, not the child's to flush.
template <class Side>
void flush_before_closing(Side& side) noexcept {
    if (side.ring().segment().base() != nullptr && side.endpoint().owned_by_this_process()) side.flush();
}

}  // namespace detail

class SpscProducer {
public:
    static Result<SpscProducer> attach(std::string_view name, const EndpointOptions& options = {});
    // For adapters that opened the ring themselves.
    static Result<SpscProducer> attach(RingSegment ring, const EndpointOptions& options = {});

    std::size_t max_message() const noexcept { return ring().geometry().max_message; }

    // Room for a record of `length` payload bytes. again: no room now; too_large: above
    // max_message(); corrupt: the consumer's position is out of range.
    [[nodiscard]] Loan try_claim(std::size_t length) noexcept {
        if (length > max_message()) return {Status::too_large, {}};
        return counted(writer_.try_claim(length, false));
    }

    // Room for a record of as many payload bytes as fit now, at least 1 and at most `max_length`
    // (and max_message()): a byte-stream writer fills whatever room there is.
    [[nodiscard]] Loan try_claim_up_to(std::size_t max_length) noexcept {
        return counted(writer_.try_claim(std::min<std::uint64_t>(max_length, max_message()), true));
    }

    // Like try_claim, waiting for room.
    Loan claim(std::size_t length, Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<Loan>([&](auto attempt) { return wait_for_room(deadline, attempt); }, [&] { return try_claim(length); });
    }

    // Completes the claimed record with its first `length` bytes. `type` is the sender's, below
    // layout::kRecordTypePadding (its top bit is dropped).
    void commit(std::size_t length, std::uint32_t type = 0, Flush when = Flush::now) noexcept {
        const auto committed = writer_.commit(length, type);
        if (!committed) return;  // no claim open
        endpoint_.count_message(*committed);
        if (when == Flush::now) flush();
    }

    // Forgets the claimed record.
    void abort() noexcept { writer_.abort(); }

    // Makes every committed record visible to the consumer with one store, and wakes it if it sleeps.
    void flush() noexcept {
        if (writer_.flush()) endpoint_.notify(ring().data_event());
    }

    // Copies `message` into a new record and commits it; Flush::later leaves it for flush().
    [[nodiscard]] Status try_send(std::span<const std::byte> message, std::uint32_t type = 0, Flush when = Flush::now) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        const Status status = writer_.try_send(message, type);
        endpoint_.count_miss(status, &layout::Counters::full);
        if (status != Status::ok) return status;
        endpoint_.count_message(message.size());
        if (when == Flush::now) flush();
        return Status::ok;
    }

    // Waits for room as the wait strategy says. timed_out when `deadline` passes first.
    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline, std::uint32_t type = 0) noexcept {
        return wait_for_room(deadline, [&] { return try_send(message, type); });
    }

    // The general blocking form: retries `attempt` (returning Status) until it stops saying again,
    // calling `probe` while it waits (see detail::wait_after_miss).
    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_room(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().space_event(), deadline, detail::flushing_first(*this, attempt), probe);
    }

    // A racy look, from any thread, at whether try_claim(length) could succeed now (poll helpers).
    bool has_room(std::size_t length) const noexcept { return length <= max_message() && detail::spsc_has_room(ring(), length); }

    // Unflushed bytes are those committed with Flush::later and not yet flushed: they lie between
    // position() and committed_through().
    std::uint64_t position() const noexcept { return writer_.position(); }
    std::uint64_t committed_through() const noexcept { return writer_.committed_through(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    const RingSegment& ring() const noexcept { return endpoint_.ring(); }

    // A producer that closes flushes the records it committed (detail::flush_before_closing).
    SpscProducer(SpscProducer&&) noexcept = default;
    SpscProducer& operator=(SpscProducer&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    ~SpscProducer() { detail::flush_before_closing(*this); }

private:
    SpscProducer(Endpoint endpoint, std::uint64_t position, std::uint64_t consumer)
        : endpoint_(std::move(endpoint)), writer_(endpoint_.ring(), position, consumer) {}

    Loan counted(Loan loan) noexcept {
        endpoint_.count_miss(loan.status, &layout::Counters::full);
        return loan;
    }

    Endpoint endpoint_;
    detail::SpscWriter writer_;
};

class SpscConsumer {
public:
    static Result<SpscConsumer> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<SpscConsumer> attach(RingSegment ring, const EndpointOptions& options = {});

    // The next record, in place; it stays until release(). again: nothing published; corrupt: a
    // position, length or type read from the segment is out of range.
    [[nodiscard]] View try_peek() noexcept {
        const View view = reader_.try_peek();
        endpoint_.count_miss(view.status, &layout::Counters::empty);
        return view;
    }

    // Like try_peek, waiting for a record.
    View peek(Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<View>([&](auto attempt) { return wait_for_data(deadline, attempt); }, [&] { return try_peek(); });
    }

    // Frees the record returned by the last peek.
    void release(Flush when = Flush::now) noexcept {
        const auto bytes = reader_.release();
        if (!bytes) return;  // nothing peeked
        endpoint_.count_message(*bytes);
        if (when == Flush::now) flush();
    }

    // Gives every released record's room back to the producer with one store, and wakes it if it sleeps.
    void flush() noexcept {
        if (reader_.flush()) endpoint_.notify(ring().space_event());
    }

    // Copies the next record into `buffer` and frees it; `length` receives its size. too_large:
    // the buffer is smaller than the record, which stays in the ring. Flush::later leaves the
    // record's room for flush() to give back.
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length, std::uint32_t* type = nullptr,
                                     Flush when = Flush::now) noexcept {
        const Status status = reader_.try_receive(buffer, length, type);
        endpoint_.count_miss(status, &layout::Counters::empty);
        if (status != Status::ok) return status;
        endpoint_.count_message(length);
        if (when == Flush::now) flush();
        return Status::ok;
    }

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline,
                   std::uint32_t* type = nullptr) noexcept {
        return wait_for_data(deadline, [&] { return try_receive(buffer, length, type); });
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_data(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().data_event(), deadline, detail::flushing_first(*this, attempt), probe);
    }

    // A racy look, from any thread, at whether a record is there (poll helpers).
    bool has_data() const noexcept { return detail::spsc_has_data(ring()); }

    // Custody, for a forwarder (the bridge) that must not give a record up before its far side
    // holds it: it releases records with Flush::later, then gives back only the room of those the
    // far side confirmed (flush_through), or takes every unconfirmed one back to read again
    // (rewind). Such a consumer never waits through wait_for_data (which flushes first) and
    // rewinds before it closes (which flushes too). See SpscReader.
    std::uint64_t released_through() const noexcept { return reader_.released_through(); }
    bool flush_through(std::uint64_t position) noexcept {
        if (position == reader_.position()) return true;
        if (!reader_.flush_through(position)) return false;
        endpoint_.notify(ring().space_event());
        return true;
    }
    void rewind() noexcept { reader_.rewind(); }

    std::uint64_t position() const noexcept { return reader_.position(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    const RingSegment& ring() const noexcept { return endpoint_.ring(); }

    // A consumer that closes gives back the room of the records it released.
    SpscConsumer(SpscConsumer&&) noexcept = default;
    SpscConsumer& operator=(SpscConsumer&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    ~SpscConsumer() { detail::flush_before_closing(*this); }

private:
    SpscConsumer(Endpoint endpoint, std::uint64_t position, std::uint64_t producer)
        : endpoint_(std::move(endpoint)), reader_(endpoint_.ring(), position, producer) {}

    Endpoint endpoint_;
    detail::SpscReader reader_;
};

}  // namespace shmring
