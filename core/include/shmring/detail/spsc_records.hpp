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
    const std::uint64_t size = layout::record_size(header.length);
    if (header.type == layout::kRecordTypePadding)
        return {size == to_end && size <= published ? RecordVerdict::padding : RecordVerdict::padding_misplaced, size};
    if (header.type > layout::kRecordTypePadding) return {RecordVerdict::bad_type, size};
    if (header.length > geometry.max_message) return {RecordVerdict::too_long, size};
    if (size > to_end || size > published) return {RecordVerdict::past_published, size};
    return {RecordVerdict::message, size};
}

}  // namespace shmring::detail
