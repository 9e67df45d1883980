// Internal. The MPMC slot rules, in one place for the ring, its repair, the poll helpers, the
// inspector and the fuzzer: where the slot of a ticket lives, and what its sequence says
// (layout.hpp, SlotHeader). For ticket t at index t & mask:
//
//   slot_free_for(t)          2t             the producer holding ticket t may fill it
//   slot_full_for(t)          2t + 1         it holds ticket t's message, for the consumer holding t
//   slot_freed_after(t, cap)  2(t + cap)     ticket t's consumer is done: free for ticket t + cap
//
// sequence_lag compares a sequence read from a slot with the one a ticket waits for: 0 is the
// ticket's turn, below 0 an earlier turn still in the slot, above 0 a later one.
#pragma once

#include <cstdint>

#include "shmring/layout.hpp"
#include "shmring/ring_view.hpp"

namespace shmring::detail {

constexpr std::uint64_t slot_free_for(std::uint64_t ticket) noexcept { return 2 * ticket; }
constexpr std::uint64_t slot_full_for(std::uint64_t ticket) noexcept { return 2 * ticket + 1; }
constexpr std::uint64_t slot_freed_after(std::uint64_t ticket, std::uint64_t capacity) noexcept {
    return slot_free_for(ticket + capacity);
}
// Signed: tickets in flight on one slot are at most 2^24 turns apart, so the difference of two
// sequences is exact across the 2^64 wrap (layout.hpp).
constexpr std::int64_t sequence_lag(std::uint64_t sequence, std::uint64_t expected) noexcept {
    return static_cast<std::int64_t>(sequence - expected);
}

// Whether `position` (a ticket counter) has moved past `ticket`, modulo 2^64.
constexpr bool ticket_taken(std::uint64_t position, std::uint64_t ticket) noexcept {
    return static_cast<std::int64_t>(position - ticket) > 0;
}

// Queues: whether a producer's `ticket` is within the message bound while the consumers' counter
// is at `consumers`: fewer than geometry.max_messages tickets ahead, modulo 2^64 (a counter seen
// ahead of a stale ticket counts as room: the ticket's CAS then fails). A bound of 0 or of the
// slot count adds nothing to the slots' own turns; nor does a service's (it bounds its calls).
constexpr bool ticket_within_bound(const RingGeometry& geometry, std::uint64_t ticket, std::uint64_t consumers) noexcept {
    const std::uint64_t bound = geometry.max_messages;
    return bound == 0 || bound == geometry.capacity || geometry.engine == layout::Engine::service || static_cast<std::int64_t>(ticket - consumers) < static_cast<std::int64_t>(bound);
}

// Byte offset of ticket's slot in the data area. validate_header proved capacity * slot_stride
// bytes of slots inside the object, so any ticket's slot is in bounds.
constexpr std::uint64_t slot_offset(const RingGeometry& geometry, std::uint64_t ticket) noexcept {
    return (ticket & geometry.mask) * geometry.slot_stride;
}

inline layout::SlotHeader& slot_at(const RingView& ring, std::uint64_t ticket) noexcept {
    return *reinterpret_cast<layout::SlotHeader*>(ring.data() + slot_offset(ring.geometry(), ticket));
}
inline std::byte* payload_at(const RingView& ring, std::uint64_t ticket) noexcept {
    return ring.data() + slot_offset(ring.geometry(), ticket) + sizeof(layout::SlotHeader);
}

// What became of `ticket`, claimed by a producer that may have died since: unpublished (its slot
// still waits for the message; a repair will void it), void (aborted or repaired) or published.
// Only the producer of ticket + capacity rewrites the slot, so the answer holds for as long as
// the asker is the ring's only producer and has not claimed since (a restarted bridge, which
// must know whether its predecessor's last message went out).
enum class ClaimFate { unpublished, void_slot, published };
inline ClaimFate claim_fate(const RingView& ring, std::uint64_t ticket) noexcept {
    auto& slot = slot_at(ring, ticket);
    // Acquire, pairs with [R20] (a commit or a repair): the length of a published slot is its own.
    if (slot.sequence.load(std::memory_order_acquire) == slot_free_for(ticket)) return ClaimFate::unpublished;
    return slot.length.load(std::memory_order_relaxed) == layout::kSlotLengthVoid ? ClaimFate::void_slot : ClaimFate::published;
}

// A fresh ring: slot i is free for ticket i. Relaxed: nobody looks before the ring is published.
inline void format_slots(const RingView& ring) noexcept {
    for (std::uint64_t ticket = 0; ticket < ring.geometry().capacity; ++ticket)
        slot_at(ring, ticket).sequence.store(slot_free_for(ticket), std::memory_order_relaxed);
}

}  // namespace shmring::detail
