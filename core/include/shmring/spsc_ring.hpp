// SpscRing: one producer and one consumer exchanging variable-length records.
//
// Record protocol (layout.hpp): each record is an 8-byte header {length, type} and its payload,
// 8-byte aligned. A record that would cross the end of the data area is preceded by a padding
// record filling the rest, so that every record's bytes are contiguous. The producer writes records
// beyond the published position and makes them visible with one release store of that position;
// a record that is claimed but not committed (or committed but not yet published) lies beyond it,
// where the consumer never looks, so a producer that dies mid-record leaves a clean prefix.
//
// The ladder: try_claim / commit / abort and try_peek / release work in place (zero copy);
// try_send / try_receive copy; send / receive wait as the endpoint's WaitStrategy says, until a
// deadline. Publish::later with publish() moves many records with one store of the position; a
// handle publishes what it holds back before it waits and when it closes.
//
// Both handles are single-threaded: one thread at a time may call a handle's methods.
#pragma once

#include <algorithm>
#include <cstring>
#include <span>
#include <string_view>

#include "shmring/detail/reassign.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

enum class Publish { now, later };


// The largest record a producer at `producer` could claim now with the consumer at `consumer`: the
// free bytes before the end of the data area, or else those after a padding record at the end.
// One definition for the producer and for whoever predicts it (a poll helper).
struct SpscRoom {
    std::uint64_t payload;  // 0 when not one byte fits
    std::uint64_t padding;  // the padding record in front of it
};
constexpr SpscRoom spsc_room(std::uint64_t capacity, std::uint64_t producer, std::uint64_t consumer) noexcept {
    const std::uint64_t used = producer - consumer;
    if (used > capacity) return {0, 0};
    const std::uint64_t free = capacity - used;
    const std::uint64_t to_end = capacity - (producer & (capacity - 1));
    constexpr std::uint64_t kSmallest = layout::record_size(1);
    if (std::min(free, to_end) >= kSmallest) return {std::min(free, to_end) - sizeof(layout::RecordHeader), 0};
    if (free > to_end && free - to_end >= kSmallest) return {free - to_end - sizeof(layout::RecordHeader), to_end};
    return {0, 0};
}

struct AttachOptions {
    WaitStrategy wait = WaitStrategy::adaptive;
    SegmentOptions segment;
};

struct Claim {
    Status status;                // ok: `data` is the record's payload, to be filled then committed
    std::span<std::byte> data;
};

struct Record {
    Status status;                // ok: `data` and `type` describe the next record
    std::uint32_t type = 0;
    std::span<const std::byte> data;
    std::uint64_t position = 0;   // the record's position in the ring (its header's)
};

Outcome create_spsc_ring(std::string_view name, std::uint64_t capacity_bytes, layout::ChannelKind kind = layout::ChannelKind::raw,
                         unsigned mode = 0600, const SegmentOptions& options = {});

namespace detail {

// The attempt of a blocking call, publishing whatever the handle holds back before it waits:
// records committed (or room released) with Publish::later are what the other side waits for, so
// waiting for it with them unpublished would hold both sides until their deadlines. An attempt that
// succeeds costs one more compare; publish() is a compare when nothing is pending.
template <class Side, class Attempt>
auto publishing_first(Side& side, Attempt& attempt) noexcept {
    return [&side, &attempt]() noexcept {
        const Status status = attempt();
        if (status == Status::again) side.publish();
        return status;
    };
}

// A handle that closes publishes what it holds back, for the same reason. A moved-from handle maps
// nothing, and a forked child's copy of a handle is its parent's, not the child's to publish.
template <class Side>
void publish_before_closing(Side& side) noexcept {
    if (side.ring().segment().base() != nullptr && side.endpoint().owned_by_this_process()) side.publish();
}

}  // namespace detail

class SpscProducer {
public:
    static Result<SpscProducer> attach(std::string_view name, const AttachOptions& options = {});
    // For adapters that opened the ring themselves.
    static Result<SpscProducer> attach(RingSegment ring, const AttachOptions& options = {});

    std::size_t max_message() const noexcept { return ring().geometry().max_message; }

    // Reserves room for a record of `length` payload bytes. again: no room now; too_large: above
    // max_message(); corrupt: the consumer's position is out of range.
    [[nodiscard]] Claim try_claim(std::size_t length) noexcept {
        if (length > max_message()) return {Status::too_large, {}};
        return claim_record(length, false);
    }

    // Reserves a record of as many payload bytes as fit now, at least 1 and at most `max_length`
    // (and max_message()): a byte-stream writer fills whatever room there is.
    [[nodiscard]] Claim try_claim_up_to(std::size_t max_length) noexcept {
        return claim_record(std::min<std::uint64_t>(max_length, max_message()), true);
    }

    // Completes the claimed record. `type` is the sender's, below layout::kRecordTypePadding (its
    // top bit is dropped).
    void commit(std::uint32_t type = 0, Publish when = Publish::now) noexcept {
        if (!claim_open_) return;
        claim_open_ = false;
        write_header(claim_position_ & ring().geometry().mask, claim_length_, type & ~layout::kRecordTypePadding);
        pending_ = claim_position_ + layout::record_size(claim_length_);
        counters().messages.add_by_owner(1);
        counters().bytes.add_by_owner(claim_length_);
        if (when == Publish::now) publish();
    }

    // Keeps only the first `length` bytes of the claimed record (a loan filled with less than asked).
    void shrink_claim(std::size_t length) noexcept {
        claim_length_ = static_cast<std::uint32_t>(std::min<std::size_t>(length, claim_length_));
    }

    // Forgets the claimed record. A padding record written for it stays: it is harmless.
    void abort() noexcept { claim_open_ = false; }

    // Makes every committed record visible to the consumer with one store.
    void publish() noexcept {
        if (pending_ == published_) return;
        published_ = pending_;
        // [R1] release, pairs with [A1] in SpscConsumer::try_peek: publishes the records' bytes.
        ring().producer().position.store(published_, std::memory_order_release);
        endpoint_.notify(ring().data_event());
    }

    [[nodiscard]] Status try_send(std::span<const std::byte> message, std::uint32_t type = 0) noexcept {
        const Claim claim = try_claim(message.size());
        if (claim.status != Status::ok) return claim.status;
        if (!message.empty()) std::memcpy(claim.data.data(), message.data(), message.size());
        commit(type);
        return Status::ok;
    }

    // Waits for room as the wait strategy says. timed_out when `deadline` passes first.
    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline, std::uint32_t type = 0) noexcept {
        return wait_for_room(deadline, [&] { return try_send(message, type); });
    }

    // Like try_claim, waiting for room.
    Claim claim(std::size_t length, Deadline deadline = kNoDeadline) noexcept {
        Claim result{Status::again, {}};
        const Status status = wait_for_room(deadline, [&] {
            result = try_claim(length);
            return result.status;
        });
        result.status = status;
        return result;
    }

    // The general blocking form: retries `attempt` (returning Status) until it stops saying again,
    // calling `probe` while it waits (see detail::wait_until).
    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_room(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().space_event(), deadline, detail::publishing_first(*this, attempt), probe);
    }

    // Unpublished bytes are those committed with Publish::later and not yet published.
    std::uint64_t position() const noexcept { return published_; }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const RingSegment& ring() const noexcept { return endpoint_.ring(); }

    // A producer that closes publishes the records it committed (detail::publish_before_closing).
    SpscProducer(SpscProducer&&) noexcept = default;
    SpscProducer& operator=(SpscProducer&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    ~SpscProducer() { detail::publish_before_closing(*this); }

private:
    explicit SpscProducer(Endpoint endpoint, std::uint64_t position, std::uint64_t consumer)
        : endpoint_(std::move(endpoint)), pending_(position), published_(position), cached_consumer_(consumer) {}

    Claim claim_record(std::uint64_t length, bool shrink) noexcept {
        const std::uint64_t capacity = ring().geometry().capacity;
        const std::uint64_t index = pending_ & (capacity - 1);
        const std::uint64_t to_end = capacity - index;
        std::uint64_t size = layout::record_size(length);
        std::uint64_t padding = size > to_end ? to_end : 0;
        if (pending_ + padding + size - cached_consumer_ > capacity) {
            // [A2] acquire, pairs with [R2] in SpscConsumer::publish: the consumer is done reading
            // the bytes it released before we overwrite them.
            const std::uint64_t consumer = ring().consumer().position.load(std::memory_order_acquire);
            if (pending_ - consumer > capacity) return fail_corrupt();
            cached_consumer_ = consumer;
            if (pending_ + padding + size - consumer > capacity && !(shrink && shrink_to_room(length, size, padding))) {
                if (!endpoint_.waiting()) counters().full.add_by_owner(1);
                return {Status::again, {}};
            }
        }
        if (padding != 0) {
            write_header(index, static_cast<std::uint32_t>(padding - sizeof(layout::RecordHeader)), layout::kRecordTypePadding);
            pending_ += padding;
        }
        claim_position_ = pending_;
        claim_length_ = static_cast<std::uint32_t>(length);
        claim_open_ = true;
        return {Status::ok, {data_at(pending_ & (capacity - 1)) + sizeof(layout::RecordHeader), length}};
    }

    // Shrinks a record that does not fit to what does (spsc_room). False when not one byte fits.
    bool shrink_to_room(std::uint64_t& length, std::uint64_t& size, std::uint64_t& padding) const noexcept {
        const SpscRoom room = spsc_room(ring().geometry().capacity, pending_, cached_consumer_);
        if (room.payload == 0) return false;
        length = std::min(length, room.payload);
        padding = room.padding;
        size = layout::record_size(length);
        return length != 0;
    }

    layout::Counters& counters() const noexcept { return endpoint_.counters(); }
    std::byte* data_at(std::uint64_t index) const noexcept { return ring().data() + index; }
    void write_header(std::uint64_t index, std::uint32_t length, std::uint32_t type) noexcept {
        const layout::RecordHeader header{length, type};
        std::memcpy(data_at(index), &header, sizeof header);
    }
    Claim fail_corrupt() noexcept {
        ring().mark_corrupt();
        return {Status::corrupt, {}};
    }

    Endpoint endpoint_;
    std::uint64_t pending_;           // end of the committed records, published or not
    std::uint64_t published_;         // last value stored to ProducerBlock::position
    std::uint64_t cached_consumer_;   // last consumer position seen: room is known without a load
    std::uint64_t claim_position_ = 0;
    std::uint32_t claim_length_ = 0;
    bool claim_open_ = false;
};

class SpscConsumer {
public:
    static Result<SpscConsumer> attach(std::string_view name, const AttachOptions& options = {});
    static Result<SpscConsumer> attach(RingSegment ring, const AttachOptions& options = {});

    // The next record, in place; it stays until release(). again: nothing published; corrupt: a
    // position, length or type read from the segment is out of range.
    [[nodiscard]] Record try_peek() noexcept {
        const std::uint64_t capacity = ring().geometry().capacity;
        for (;;) {
            if (pending_ == cached_producer_) {
                // [A1] acquire, pairs with [R1] in SpscProducer::publish: the records are written.
                const std::uint64_t producer = ring().producer().position.load(std::memory_order_acquire);
                if (producer - pending_ > capacity || (producer & (layout::kRecordAlignment - 1)) != 0) return fail_corrupt();
                cached_producer_ = producer;
                if (producer == pending_) {
                    if (!endpoint_.waiting()) counters().empty.add_by_owner(1);
                    return {Status::again, 0, {}, 0};
                }
            }
            const std::uint64_t index = pending_ & (capacity - 1);
            layout::RecordHeader header;
            std::memcpy(&header, ring().data() + index, sizeof header);  // read once, then validate the copy
            const std::uint64_t size = layout::record_size(header.length);
            const std::uint64_t available = cached_producer_ - pending_;
            if (header.type == layout::kRecordTypePadding) {
                if (size != capacity - index || size > available) return fail_corrupt();
                pending_ += size;  // skipped: released with the next record
                continue;
            }
            if (header.type > layout::kRecordTypePadding || header.length > ring().geometry().max_message ||
                size > capacity - index || size > available)
                return fail_corrupt();
            peeked_size_ = size;
            return {Status::ok, header.type, {ring().data() + index + sizeof header, header.length}, pending_};
        }
    }

    // Frees the record returned by the last try_peek.
    void release(Publish when = Publish::now) noexcept {
        if (peeked_size_ == 0) return;
        counters().messages.add_by_owner(1);
        counters().bytes.add_by_owner(peeked_size_ - sizeof(layout::RecordHeader));
        pending_ += peeked_size_;
        peeked_size_ = 0;
        if (when == Publish::now) publish();
    }

    // Gives every released record's space back to the producer with one store.
    void publish() noexcept {
        if (pending_ == published_) return;
        published_ = pending_;
        // [R2] release, pairs with [A2] in SpscProducer::try_claim: we are done reading the bytes.
        ring().consumer().position.store(published_, std::memory_order_release);
        endpoint_.notify(ring().space_event());
    }

    // Copies the next record into `buffer` and frees it; `length` receives its size. too_large:
    // the buffer is smaller than the record, which stays in the ring.
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length, std::uint32_t* type = nullptr) noexcept {
        const Record record = try_peek();
        if (record.status != Status::ok) return record.status;
        if (record.data.size() > buffer.size()) {
            peeked_size_ = 0;
            return Status::too_large;
        }
        if (!record.data.empty()) std::memcpy(buffer.data(), record.data.data(), record.data.size());
        length = record.data.size();
        if (type != nullptr) *type = record.type;
        release();
        return Status::ok;
    }

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline,
                   std::uint32_t* type = nullptr) noexcept {
        return wait_for_data(deadline, [&] { return try_receive(buffer, length, type); });
    }

    // Like try_peek, waiting for a record.
    Record peek(Deadline deadline = kNoDeadline) noexcept {
        Record result{Status::again, 0, {}, 0};
        const Status status = wait_for_data(deadline, [&] {
            result = try_peek();
            return result.status;
        });
        result.status = status;
        return result;
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_data(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        return endpoint_.wait(ring().data_event(), deadline, detail::publishing_first(*this, attempt), probe);
    }

    std::uint64_t position() const noexcept { return published_; }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const RingSegment& ring() const noexcept { return endpoint_.ring(); }

    // A consumer that closes gives back the room of the records it released.
    SpscConsumer(SpscConsumer&&) noexcept = default;
    SpscConsumer& operator=(SpscConsumer&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    ~SpscConsumer() { detail::publish_before_closing(*this); }

private:
    explicit SpscConsumer(Endpoint endpoint, std::uint64_t position, std::uint64_t producer)
        : endpoint_(std::move(endpoint)), pending_(position), published_(position), cached_producer_(producer) {}

    layout::Counters& counters() const noexcept { return endpoint_.counters(); }
    Record fail_corrupt() noexcept {
        ring().mark_corrupt();
        return {Status::corrupt, 0, {}, 0};
    }

    Endpoint endpoint_;
    std::uint64_t pending_;          // position of the next record to peek
    std::uint64_t published_;        // last value stored to ConsumerBlock::position
    std::uint64_t cached_producer_;  // last producer position seen: records known without a load
    std::uint64_t peeked_size_ = 0;
};

}  // namespace shmring
