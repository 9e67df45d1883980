// Internal. The SPSC record rules, in one place for the ring, the pipe, the poll helpers, the
// inspector and the fuzzer (layout.hpp, RecordHeader): which positions are possible, how much room
// a producer has, and whether a record header read from the ring can be trusted.
#pragma once

#include <algorithm>
#include <cstdint>

#include "shmring/layout.hpp"
#include "shmring/ring_view.hpp"

namespace shmring::detail {

// Whether a consumer at `consumer` and a producer at `producer` describe a possible ring: the
// consumer at most `capacity` bytes behind, both on a record boundary.
constexpr bool spsc_positions_valid(std::uint64_t producer, std::uint64_t consumer, std::uint64_t capacity) noexcept {
    return producer - consumer <= capacity && ((producer | consumer) & (layout::kRecordAlignment - 1)) == 0;
}

// Where a record of `size` bytes goes when the producer is at `producer`: behind a padding record
// filling the rest of the data area when it would cross the end, so that its bytes are contiguous.
constexpr std::uint64_t spsc_padding_for(std::uint64_t capacity, std::uint64_t producer, std::uint64_t size) noexcept {
    const std::uint64_t to_end = capacity - (producer & (capacity - 1));
    return size > to_end ? to_end : 0;
}

// Whether that record and its padding fit with the consumer at `consumer`.
constexpr bool spsc_fits(std::uint64_t capacity, std::uint64_t producer, std::uint64_t consumer, std::uint64_t size,
                         std::uint64_t padding) noexcept {
    return producer + padding + size - consumer <= capacity;
}

// The bytes of the ring a record of `length` payload bytes spans: its own size, or in a queue the
// record stride, so that a queue's positions count messages as well as bytes.
constexpr std::uint64_t spsc_record_span(const RingGeometry& geometry, std::uint64_t length) noexcept {
    return geometry.record_stride != 0 ? geometry.record_stride : layout::record_size(length);
}

// Queues: the position of the first record the message bound keeps out while the consumer is at
// `consumer`, the one max_messages records after the consumer's. Each lap of the data area holds
// capacity / record_stride records from its start, then padding; a consumer at the padding is at
// the next lap's first record. Computed from the consumer's lap so that it wraps with the
// positions; an off-boundary (corrupt) consumer only moves the bound, never a byte check.
constexpr std::uint64_t spsc_count_limit(const RingGeometry& geometry, std::uint64_t consumer) noexcept {
    const std::uint64_t stride = geometry.record_stride;
    const std::uint64_t per_lap = geometry.capacity / stride;
    const std::uint64_t target = (consumer & geometry.mask) / stride + geometry.max_messages;
    return (consumer & ~geometry.mask) + (target / per_lap) * geometry.capacity + (target % per_lap) * stride;
}

// Queues: how many records lie between a consumer at `consumer` and a producer at `producer`
// (positions a reader has validated), counted as spsc_count_limit counts them.
constexpr std::uint64_t spsc_queued_messages(const RingGeometry& geometry, std::uint64_t producer, std::uint64_t consumer) noexcept {
    const std::uint64_t stride = geometry.record_stride;
    const std::uint64_t laps = ((producer & ~geometry.mask) - (consumer & ~geometry.mask)) / geometry.capacity;
    return laps * (geometry.capacity / stride) + (producer & geometry.mask) / stride - (consumer & geometry.mask) / stride;
}

// Queues: whether `position` is where a record can start: on the stride grid of its lap, or at the
// lap's padding. Off the grid, the message bound could refuse for ever without a byte being wrong.
constexpr bool spsc_on_record_grid(const RingGeometry& geometry, std::uint64_t position) noexcept {
    if (geometry.record_stride == 0) return true;
    const std::uint64_t offset = position & geometry.mask;
    return offset % geometry.record_stride == 0 || offset == (geometry.capacity / geometry.record_stride) * geometry.record_stride;
}

// Whether a record starting at `start` is within the message bound `limit` (spsc_count_limit):
// before it, modulo 2^64. Rings that are not queues have no bound.
constexpr bool spsc_within_bound(const RingGeometry& geometry, std::uint64_t start, std::uint64_t limit) noexcept {
    return geometry.max_messages == 0 || static_cast<std::int64_t>(limit - start) > 0;
}

// The largest record at `producer` could claim now with the consumer at `consumer`: the
// free bytes before the end of the data area, or else those after a padding record at the end.
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

// What a record header read at `position`, with `published` bytes published from there on, is.
enum class RecordVerdict {
    message,           // a sender's record: deliver it
    padding,           // the padding record at the end of the data area: skip it
    padding_misplaced, // a padding record that does not end at the end of the data area
    bad_type,          // a type above kRecordTypePadding
    too_long,          // a length above the ring's message limit
    past_published,    // a record running past the published bytes or the end of the data area
};

struct RecordCheck {
    RecordVerdict verdict;
    std::uint64_t size;  // the record's bytes, header and alignment included
    bool valid() const noexcept { return verdict == RecordVerdict::message || verdict == RecordVerdict::padding; }
};

// Judges a header the caller copied out of the ring once: the copy, not the shared bytes, is what
// it then uses.
constexpr RecordCheck check_record(const layout::RecordHeader& header, std::uint64_t position, std::uint64_t published,
                                   const RingGeometry& geometry) noexcept {
    const std::uint64_t to_end = geometry.capacity - (position & geometry.mask);
    if (header.type == layout::kRecordTypePadding) {
        const std::uint64_t size = layout::record_size(header.length);
        return {size == to_end && size <= published ? RecordVerdict::padding : RecordVerdict::padding_misplaced, size};
    }
    const std::uint64_t size = spsc_record_span(geometry, header.length);
    if (header.type > layout::kRecordTypePadding) return {RecordVerdict::bad_type, size};
    if (header.length > geometry.max_message) return {RecordVerdict::too_long, size};
    if (size > to_end || size > published) return {RecordVerdict::past_published, size};
    return {RecordVerdict::message, size};
}

}  // namespace shmring::detail
