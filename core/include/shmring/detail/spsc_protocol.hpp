// Internal. The SPSC record protocol over a RingView: what a producer and a consumer do to the
// ring's bytes, and nothing else (no registry, counters or wake-ups: spsc_ring.hpp adds those).
//
// Each record is an 8-byte header {length, type} and its payload, 8-byte aligned. A record that
// would cross the end of the data area is preceded by a padding record filling the rest, so that
// every record's bytes are contiguous. The writer writes records beyond the published position and
// makes them visible with one release store of that position ([R10]); a record that is claimed but
// not committed (or committed but not yet flushed) lies beyond it, where the reader never looks, so
// a producer that dies mid-record leaves a clean prefix. The reader gives bytes back the same way
// ([R11]). Every position and header read from the ring is checked (spsc_records.hpp) before use.
#pragma once

#include <algorithm>
#include <cstring>
#include <optional>
#include <span>

#include "shmring/detail/spsc_records.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_view.hpp"

namespace shmring::detail {

// The batched position store of either side: makes `pending` visible through `word` if it moved
// since the last store. True when it stored. Release: the caller's label names the pair.
inline bool store_moved_position(SharedAtomic<std::uint64_t>& word, std::uint64_t pending, std::uint64_t& published) noexcept {
    if (pending == published) return false;
    published = pending;
    word.store(published, std::memory_order_release);
    return true;
}

class SpscWriter {
public:
    SpscWriter(const RingView& ring, std::uint64_t position, std::uint64_t consumer) noexcept
        : ring_(ring), pending_(position), published_(position) {
        see_consumer(consumer);
    }

    // Room for a record of `length` payload bytes (at most max_message), or with `up_to` of as many
    // as fit now, at least 1. again: no room; corrupt: the consumer's position is out of range.
    Loan try_claim(std::uint64_t length, bool up_to) noexcept {
        if (const Status status = reserve(length, up_to); status != Status::ok) return {status, {}};
        return {Status::ok, {claim_payload(), claim_length_}};
    }

    // try_claim, a copy of `message` and commit in one step, with no loan in between: the copy
    // path's shortest form.
    Status try_send(std::span<const std::byte> message, std::uint32_t type) noexcept {
        if (const Status status = reserve(message.size(), false); status != Status::ok) return status;
        if (!message.empty()) std::memcpy(claim_payload(), message.data(), message.size());
        commit(message.size(), type);
        return Status::ok;
    }

    // Completes the claim with its first `length` bytes and `type` (its top bit dropped). Returns
    // the payload bytes committed, or nothing when no claim is open.
    std::optional<std::uint32_t> commit(std::size_t length, std::uint32_t type) noexcept {
        if (!claim_open_) return std::nullopt;
        claim_open_ = false;
        const auto committed = static_cast<std::uint32_t>(std::min<std::size_t>(length, claim_length_));
        write_header(claim_position_ & ring_.geometry().mask, committed, type & ~layout::kRecordTypePadding);
        pending_ = claim_position_ + spsc_record_span(ring_.geometry(), committed);
        return committed;
    }

    // Forgets the claim. A padding record written for it stays: it is harmless.
    void abort() noexcept { claim_open_ = false; }

    // Makes every committed record visible with one store. True when there was something to store.
    bool flush() noexcept {
        // [R10] release, pairs with [A10] in SpscReader::next_record: publishes the records' bytes.
        return store_moved_position(ring_.producer().position, pending_, published_);
    }

    std::uint64_t position() const noexcept { return published_; }
    // The end of the committed records, flushed or not.
    std::uint64_t committed_through() const noexcept { return pending_; }
    const RingView& ring() const noexcept { return ring_; }

private:
    // Reserves the claim: a padding record first when the record would cross the end. The room
    // is known from the last consumer position seen; only when that says no is it read again.
    Status reserve(std::uint64_t length, bool up_to) noexcept {
        const RingGeometry& g = ring_.geometry();
        const std::uint64_t capacity = g.capacity;
        const std::uint64_t index = pending_ & (capacity - 1);
        const std::uint64_t size = spsc_record_span(g, length);
        std::uint64_t padding = spsc_padding_for(capacity, pending_, size);
        const auto fits = [&] {
            return spsc_fits(capacity, pending_, cached_consumer_, size, padding) && spsc_within_bound(g, pending_ + padding, count_limit_);
        };
        if (!fits()) {
            // [A11] acquire, pairs with [R11] in SpscReader::flush: the reader is done with the
            // bytes it gave back before we overwrite them.
            const std::uint64_t consumer = ring_.consumer().position.load(std::memory_order_acquire);
            if (!spsc_positions_valid(pending_, consumer, capacity) || !spsc_on_record_grid(g, consumer)) return fail_corrupt();
            see_consumer(consumer);
            if (!fits()) {
                // Only pipes claim up to what fits, and pipes have no message bound.
                const SpscRoom room = spsc_room(capacity, pending_, consumer);
                if (!up_to || room.payload == 0 || length == 0) return Status::again;
                length = std::min(length, room.payload);
                padding = room.padding;
            }
        }
        if (padding != 0) {
            write_header(index, static_cast<std::uint32_t>(padding - sizeof(layout::RecordHeader)), layout::kRecordTypePadding);
            pending_ += padding;
        }
        claim_position_ = pending_;
        claim_length_ = static_cast<std::uint32_t>(length);
        claim_open_ = true;
        return Status::ok;
    }
    void see_consumer(std::uint64_t consumer) noexcept {
        cached_consumer_ = consumer;
        if (ring_.geometry().max_messages != 0) count_limit_ = spsc_count_limit(ring_.geometry(), consumer);
    }
    std::byte* claim_payload() const noexcept {
        return ring_.data() + (claim_position_ & ring_.geometry().mask) + sizeof(layout::RecordHeader);
    }
    void write_header(std::uint64_t index, std::uint32_t length, std::uint32_t type) noexcept {
        const layout::RecordHeader header{length, type};
        std::memcpy(ring_.data() + index, &header, sizeof header);
    }
    Status fail_corrupt() noexcept {
        ring_.mark_corrupt();
        return Status::corrupt;
    }

    RingView ring_;
    std::uint64_t pending_;          // end of the committed records, flushed or not
    std::uint64_t published_;        // last value stored to ProducerBlock::position
    std::uint64_t cached_consumer_ = 0;  // last consumer position seen: room is known without a load
    std::uint64_t count_limit_ = 0;      // queues: spsc_count_limit of cached_consumer_
    std::uint64_t claim_position_ = 0;
    std::uint32_t claim_length_ = 0;
    bool claim_open_ = false;
};

class SpscReader {
public:
    SpscReader(const RingView& ring, std::uint64_t position, std::uint64_t producer) noexcept
        : ring_(ring), pending_(position), published_(position), cached_producer_(producer) {}

    // The next record, in place until release(). again: nothing published; corrupt: a position or
    // header read from the ring is out of range.
    View try_peek() noexcept {
        if (const Status status = next_record(); status != Status::ok) return {status, {}};
        return {Status::ok, {record_payload(), peeked_length_}, peeked_type_, pending_};
    }

    // try_peek, a copy into `buffer` and release in one step, with no view in between: the copy
    // path's shortest form. too_large: the record is longer than `buffer` and stays.
    Status try_receive(std::span<std::byte> buffer, std::size_t& length, std::uint32_t* type) noexcept {
        if (const Status status = next_record(); status != Status::ok) return status;
        if (peeked_length_ > buffer.size()) {
            keep();
            return Status::too_large;
        }
        if (peeked_length_ != 0) std::memcpy(buffer.data(), record_payload(), peeked_length_);
        length = peeked_length_;
        if (type != nullptr) *type = peeked_type_;
        release();
        return Status::ok;
    }

    // Frees the record of the last try_peek. Returns its payload bytes, or nothing when none is peeked.
    std::optional<std::uint64_t> release() noexcept {
        if (peeked_size_ == 0) return std::nullopt;
        pending_ += peeked_size_;
        peeked_size_ = 0;
        return peeked_length_;
    }

    // Leaves the peeked record where it is: the next try_peek returns it again.
    void keep() noexcept { peeked_size_ = 0; }

    // Gives the room of every released record back with one store. True when there was something to store.
    bool flush() noexcept {
        // [R11] release, pairs with [A11] in SpscWriter::reserve: we are done reading the bytes.
        return store_moved_position(ring_.consumer().position, pending_, published_);
    }

    // Custody: a reader that must keep records until somebody else confirms them releases them
    // without flushing, then gives back only the confirmed ones (flush_through) or takes every
    // unconfirmed one back to read again (rewind). Records between position() and
    // released_through() are still the reader's: the writer cannot overwrite them.
    std::uint64_t released_through() const noexcept { return pending_; }

    // Gives back the room of the released records before `position`, a released_through() seen
    // since the last rewind. False, storing nothing, when `position` is outside that range.
    bool flush_through(std::uint64_t position) noexcept {
        if (position - published_ > pending_ - published_) return false;
        // [R11] as in flush().
        return store_moved_position(ring_.consumer().position, position, published_);
    }

    void rewind() noexcept {
        pending_ = published_;
        peeked_size_ = 0;
    }

    std::uint64_t position() const noexcept { return published_; }
    const RingView& ring() const noexcept { return ring_; }

private:
    // Finds the next record, skipping a padding record, and notes it as peeked.
    Status next_record() noexcept {
        const RingGeometry& g = ring_.geometry();
        for (;;) {
            if (pending_ == cached_producer_) {
                // [A10] acquire, pairs with [R10] in SpscWriter::flush: the records are written.
                const std::uint64_t producer = ring_.producer().position.load(std::memory_order_acquire);
                if (!spsc_positions_valid(producer, pending_, g.capacity)) return fail_corrupt();
                cached_producer_ = producer;
                if (producer == pending_) return Status::again;
            }
            layout::RecordHeader header;
            std::memcpy(&header, ring_.data() + (pending_ & g.mask), sizeof header);  // read once, then judge the copy
            const RecordCheck check = check_record(header, pending_, cached_producer_ - pending_, g);
            if (check.verdict == RecordVerdict::padding) {
                pending_ += check.size;  // skipped: given back with the next record
                continue;
            }
            if (!check.valid()) return fail_corrupt();
            peeked_size_ = check.size;
            peeked_length_ = header.length;
            peeked_type_ = header.type;
            return Status::ok;
        }
    }
    std::byte* record_payload() const noexcept {
        return ring_.data() + (pending_ & ring_.geometry().mask) + sizeof(layout::RecordHeader);
    }
    Status fail_corrupt() noexcept {
        ring_.mark_corrupt();
        return Status::corrupt;
    }

    RingView ring_;
    std::uint64_t pending_;          // position of the next record to peek
    std::uint64_t published_;        // last value stored to ConsumerBlock::position
    std::uint64_t cached_producer_;  // last producer position seen: records known without a load
    std::uint64_t peeked_size_ = 0;    // the peeked record's bytes, 0 when none is peeked
    std::uint32_t peeked_length_ = 0;  // its payload bytes
    std::uint32_t peeked_type_ = 0;
};

// Racy looks, from any thread, at whether a writer could claim `length` bytes now, or a reader
// find a record: for poll helpers, which only decide when to signal and never move data. Acquire,
// as [A11] and [A10]: a ready answer comes with what made it so. Positions out of range count as
// ready: the call they wake reports the corruption (EPROTO) instead of waiting for ever.
inline bool spsc_has_room(const RingView& ring, std::uint64_t length) noexcept {
    const std::uint64_t produced = ring.producer().position.load(std::memory_order_acquire);
    const std::uint64_t consumed = ring.consumer().position.load(std::memory_order_acquire);
    const RingGeometry& g = ring.geometry();
    const std::uint64_t size = spsc_record_span(g, length);
    const std::uint64_t padding = spsc_padding_for(g.capacity, produced, size);
    if (!spsc_positions_valid(produced, consumed, g.capacity)) return true;
    return spsc_fits(g.capacity, produced, consumed, size, padding) &&
           (g.max_messages == 0 || spsc_within_bound(g, produced + padding, spsc_count_limit(g, consumed)));
}
inline bool spsc_has_data(const RingView& ring) noexcept {
    return ring.producer().position.load(std::memory_order_acquire) != ring.consumer().position.load(std::memory_order_acquire);
}

}  // namespace shmring::detail
