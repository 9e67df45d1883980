// Internal. Custody on an MPMC ring: its only consumer takes messages and holds them, handing
// their slots back only when told they are safe elsewhere (a bridge: when the far side confirms).
// Model-checked with MpmcHolder::attach and the producers' repair by verify/mpmc_custody.pml
// (verify/run.sh): keep the two in step.
//
// The holder takes tickets with the consumers' CAS but records no claim (mpmc_protocol.hpp), so
// no repair ever frees a held slot (mpmc_repair.hpp frees only slots whose recorded claimants are
// all dead): a holder that dies leaves its slots held, for its successor, and the ring's producers
// wait for them as for any slow consumer. It hands slots back in ticket order, so what is held is
// always one run of tickets [first held, consumers' counter) whose slots still say full_for (a
// message, or a void that a producer aborted), and a successor finds where it starts by their
// sequences (first_held) however its predecessor's hand-backs were cut short.
//
// The custody mark (ControlBlock::consumer_role of an MPMC ring) makes the holder the only
// consumer for as long as anything is held, its own life or not: set by the holder before it
// looks for other consumers, it makes every later MpmcConsumer::attach refuse (the two sides
// publish, then look: [F30]), and repair_unreleased leave the ring alone. A holder that leaves
// with nothing held clears it; one that dies or leaves holding keeps it for its successor.
//
// Positions are ticket + 1, for messages and voids alike: try_take returns voids too (type
// kHeldVoid, no data), so that whoever confirms positions confirms them, and a run of voids
// never stays held for want of a message after it.
#pragma once

#include <algorithm>

#include "shmring/detail/mpmc_protocol.hpp"

namespace shmring::detail {

// Whether the slot of `ticket` holds that ticket's message (or void): for poll helpers, which only
// decide when to signal. Acquire, as [A20].
inline bool mpmc_turn_full(const RingView& ring, std::uint64_t ticket) noexcept {
    return slot_at(ring, ticket).sequence.load(std::memory_order_acquire) == slot_full_for(ticket);
}

// View::type of a void ticket taken by try_take: a claim its producer gave up, no message.
inline constexpr std::uint32_t kHeldVoid = 1;

class MpmcCustody : public MpmcClaimant {
public:
    MpmcCustody(const RingView& ring, SharedAtomic<std::uint64_t>& claim) noexcept : MpmcClaimant(ring, claim) {
        // Relaxed: a number; each slot's sequence, read with acquire, says what it holds.
        head_ = ring.consumer().position.load(std::memory_order_relaxed);
        confirmed_ = read_ = first_held();
    }

    // Every ticket before confirmed() is handed back; those from it to read_through() were read.
    std::uint64_t confirmed() const noexcept { return confirmed_; }
    std::uint64_t read_through() const noexcept { return read_; }
    bool holds_nothing() const noexcept { return confirmed_ == head_; }

    // The next ticket's message, or void (View::type kHeldVoid), held: its slot stays the
    // holder's until confirm_through passes it. Its position (ticket + 1) is in View::sequence.
    // again: nothing published yet; corrupt: a slot out of range or out of turn; busy: another
    // consumer took the ticket (one that ignored the custody mark).
    View try_take() noexcept {
        for (;;) {
            const std::uint64_t ticket = read_;
            auto& s = slot(ticket);
            // [A20] acquire, pairs with [R20] in MpmcWriter::publish: the message is written.
            const std::int64_t lag = sequence_lag(s.sequence.load(std::memory_order_acquire), slot_full_for(ticket));
            const bool held = ticket_taken(head_, ticket);
            if (lag != 0) {
                if (held) return {fail_corrupt(), {}};  // a held slot keeps its turn until handed back
                // Relaxed: only a number, as in missed_turn.
                if (ring_.consumer().position.load(std::memory_order_relaxed) != head_) return {Status::busy, {}};
                if (lag > 0) return {fail_corrupt(), {}};
                return {Status::again, {}};
            }
            // Relaxed: ordered by [A20]. Read before the take: if another consumer takes the
            // ticket first, the CAS below fails and the value is dropped.
            const std::uint32_t length = s.length.load(std::memory_order_relaxed);
            const bool is_void = length == layout::kSlotLengthVoid;
            if (!is_void && length > max_message()) return {fail_corrupt(), {}};
            if (!held) {
                std::uint64_t expected = head_;
                // [C22] release, pairs with the acquire of the counter in repair_unreleased: a
                // repairer that sees the ticket taken sees the custody mark set and the stale
                // claims cleared before it (MpmcHolder::attach), and leaves the slot alone.
                // Relaxed on failure: nothing was taken.
                if (!ring_.consumer().position.compare_exchange_strong(expected, head_ + 1, std::memory_order_release,
                                                                       std::memory_order_relaxed))
                    return {Status::busy, {}};
                ++head_;
            }
            ++read_;
            View view{Status::ok, {}};
            if (is_void) view.type = kHeldVoid;
            else view.data = {payload_at(ring_, ticket), length};
            view.sequence = read_;
            return view;
        }
    }

    // The messages before `position` are safe elsewhere: hands their slots back, in ticket order.
    // False when `position` is before confirmed() or past what was taken. `messages` and `bytes`
    // receive what was handed back.
    bool confirm_through(std::uint64_t position, std::uint64_t& messages, std::uint64_t& bytes) noexcept {
        if (static_cast<std::int64_t>(position - confirmed_) < 0 || static_cast<std::int64_t>(head_ - position) < 0) return false;
        messages = bytes = 0;
        for (; confirmed_ != position; ++confirmed_) {
            auto& s = slot(confirmed_);
            // Acquire, as [A20]: a held slot's length is the one we read. One that is not full for
            // its ticket is not handed back: someone else wrote it (try_take says corrupt).
            if (s.sequence.load(std::memory_order_acquire) != slot_full_for(confirmed_)) continue;
            const std::uint32_t length = s.length.load(std::memory_order_relaxed);
            if (length != layout::kSlotLengthVoid) {
                ++messages;
                bytes += std::min<std::uint64_t>(length, max_message());
            }
            // [R21] release, pairs with [A21] in MpmcWriter::take_free_ticket: we are done reading the slot.
            s.sequence.store(slot_freed_after(confirmed_, ring_.geometry().capacity), std::memory_order_release);
        }
        read_ = static_cast<std::int64_t>(read_ - confirmed_) < 0 ? confirmed_ : read_;
        return true;
    }

    // Reads again from the first held message.
    void rewind() noexcept { read_ = confirmed_; }

private:
    // The first ticket still held (by this holder's predecessors): the lowest of the last
    // `capacity` tickets taken whose slot is still full for it; the consumers' counter if none is.
    // Near 2^64 the span wraps, and tickets "before 0" of a young ring never match its sequences.
    std::uint64_t first_held() const noexcept {
        for (std::uint64_t ticket = head_ - ring_.geometry().capacity; ticket != head_; ++ticket)
            if (mpmc_turn_full(ring_, ticket)) return ticket;
        return head_;
    }

    std::uint64_t head_ = 0;       // the consumers' counter: every ticket before it is taken, by us
    std::uint64_t confirmed_ = 0;  // every ticket before it is handed back
    std::uint64_t read_ = 0;       // the next ticket to read
};

}  // namespace shmring::detail
