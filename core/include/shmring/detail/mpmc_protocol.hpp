// Internal. The MPMC slot protocol over a RingView: what producers and consumers do to the ring's
// slots (no counters or wake-ups: mpmc_ring.hpp adds those). Model-checked with its repair by
// verify/mpmc_slots.pml (verify/run.sh): keep the two in step.
//
// Bounded-queue design with a ticket per slot (mpmc_slots.hpp): producers take tickets from
// ProducerBlock::position, consumers from ConsumerBlock::position, each with a CAS that succeeds
// only once the slot for that ticket is ready for it, so a ticket is never held while waiting and a
// try or timed operation can always give up. The slot's sequence, not the ticket counter, carries
// the data: [R20]/[A20] hand a message from producer to consumer, [R21]/[A21] hand the emptied slot
// back. Messages of one producer are delivered in the order sent; each exactly once.
//
// Claims are recorded: before its CAS an endpoint stores the ticket it is claiming in `claim`, its
// registry entry's word (cleared once the slot is handed on). The CAS is a release, so anyone who
// sees the ticket taken also sees who may hold it; a slot left unfinished by an endpoint that died
// can then be traced to that endpoint, and proved abandoned by its lease, never by a timeout
// (mpmc_repair.hpp).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <span>
#include <limits>
#include <optional>

#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/detail/reset_on_move.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_view.hpp"

namespace shmring::detail {

// What producers and consumers share: the ring, the claim record and the one open claim.
class MpmcClaimant {
public:
    MpmcClaimant(const RingView& ring, SharedAtomic<std::uint64_t>& claim) noexcept : ring_(ring), claim_(&claim) {}

    const RingView& ring() const noexcept { return ring_; }
    std::size_t max_message() const noexcept { return ring_.geometry().slot_size; }
    bool claim_open() const noexcept { return open_; }

protected:
    layout::SlotHeader& slot(std::uint64_t ticket) const noexcept { return slot_at(ring_, ticket); }

    // [C20] release, pairs with the acquire in mpmc_repair's claimants(): a repairer that reads any
    // claim value of ours also sees every slot we handed on before it, so it can never mistake a
    // slot we published (or released) for one still unfinished. Release stores are plain stores on
    // x86; the claim lives on this endpoint's own line.
    void record_claim(std::uint64_t ticket) noexcept { claim_->store(ticket + 1, std::memory_order_release); }
    void clear_claim() noexcept { claim_->store(0, std::memory_order_release); }  // [C20] as above

    // Takes the ticket `expected` from `counter` if nobody did first. On failure `expected` holds
    // the counter's current value.
    static bool take_ticket(SharedAtomic<std::uint64_t>& counter, std::uint64_t& expected) noexcept {
        // [C21] release: publishes the claim recorded just before. Relaxed on failure: nothing was taken.
        return counter.compare_exchange_weak(expected, expected + 1, std::memory_order_release, std::memory_order_relaxed);
    }

    void open_claim(std::uint64_t ticket) noexcept {
        open_ = true;
        open_ticket_ = ticket;
    }
    // After a look at the slot of `ticket` that found another turn there (`lag` != 0): nothing when
    // the counter has moved on (`ticket` is then its new value, to look at next), else the
    // outcome: again when an earlier turn is still in the slot (full, or empty), corrupt when a
    // later one is. `claimed`: a claim of ours is recorded, to be cleared.
    std::optional<Status> missed_turn(const SharedAtomic<std::uint64_t>& counter, std::uint64_t& ticket, std::int64_t lag,
                                      bool claimed) noexcept {
        // Relaxed: as the counter's first load, only a number; the slot's sequence orders the data.
        const std::uint64_t now = counter.load(std::memory_order_relaxed);
        if (now != ticket) {
            ticket = now;
            return std::nullopt;
        }
        if (lag > 0) return fail_corrupt();
        if (claimed) clear_claim();
        return Status::again;
    }

    // A sequence ahead of the ticket although the counter has not moved, or a length out of range:
    // no protocol step makes that, so the segment was written by someone else. Called only while
    // no claim is open, so a recorded claim is one this call made for a ticket it did not take:
    // left in place, it would keep that ticket from repair for as long as we live.
    Status fail_corrupt() noexcept {
        clear_claim();
        ring_.mark_corrupt();
        return Status::corrupt;
    }

    RingView ring_;
    SharedAtomic<std::uint64_t>* claim_;
    ResetOnMove<bool> open_;  // a moved-from claimant has no claim open
    std::uint64_t open_ticket_ = 0;
};

class MpmcWriter : public MpmcClaimant {
public:
    using MpmcClaimant::MpmcClaimant;

    // Lends the next free slot. again: every slot is full; busy: a loan is open already.
    Loan try_claim() noexcept {
        if (open_) return {Status::busy, {}};
        std::uint64_t ticket = 0;
        if (const Status status = take_free_ticket(ticket); status != Status::ok) return {status, {}};
        open_claim(ticket);
        return {Status::ok, {payload_at(ring_, ticket), max_message()}};
    }

    // Hands the loaned slot, holding its first `length` bytes, to the consumers. Returns the bytes
    // committed, or nothing when no loan is open.
    std::optional<std::uint32_t> commit(std::size_t length) noexcept {
        if (!open_) return std::nullopt;
        const auto committed = static_cast<std::uint32_t>(std::min(length, max_message()));
        open_ = false;
        publish(open_ticket_, committed);
        return committed;
    }

    // try_claim, a copy of `message` (at most max_message bytes) and commit in one step, with no
    // loan in between: the copy path's shortest form. `sent_ticket`, if not null, receives the
    // message's ticket.
    Status try_send(std::span<const std::byte> message, std::uint64_t* sent_ticket = nullptr) noexcept {
        if (open_) return Status::busy;
        std::uint64_t ticket = 0;
        if (const Status status = take_free_ticket(ticket); status != Status::ok) return status;
        if (!message.empty()) std::memcpy(payload_at(ring_, ticket), message.data(), message.size());
        publish(ticket, static_cast<std::uint32_t>(message.size()));
        if (sent_ticket != nullptr) *sent_ticket = ticket;
        return Status::ok;
    }

    // Gives the loan up: the slot passes to the consumers void, and they skip it. True when a loan
    // was open.
    bool abort() noexcept {
        if (!open_) return false;
        open_ = false;
        publish(open_ticket_, layout::kSlotLengthVoid);
        return true;
    }

private:
    // Takes the next ticket whose slot is free, recording the claim before the CAS. again: every
    // slot is full; corrupt: a slot is ahead of the counter.
    Status take_free_ticket(std::uint64_t& ticket) noexcept {
        auto& tail = ring_.producer().position;
        // Relaxed: a ticket is only a number; the slot's sequence ([A21]) says whether it is usable.
        ticket = tail.load(std::memory_order_relaxed);
        bool claimed = false;
        for (;;) {
            // Cases: 0, the slot is free for our ticket: claim it; below 0, it still holds the
            // message of ticket - capacity: full, unless others moved on; above 0, another producer
            // took the ticket already, or (the counter unmoved) someone wrote the slot.
            // [A21] acquire, pairs with [R21] in MpmcReader::hand_back: the slot's last reader is done.
            std::int64_t lag = sequence_lag(slot(ticket).sequence.load(std::memory_order_acquire), slot_free_for(ticket));
            if (lag == 0 && !within_bound(ticket)) lag = -1;  // free, but the queue holds its most messages: full
            if (lag == 0) {
                record_claim(ticket);
                claimed = true;
                if (take_ticket(tail, ticket)) return Status::ok;
                continue;
            }
            if (const auto outcome = missed_turn(tail, ticket, lag, claimed)) return *outcome;
        }
    }

    // Queues bound below the slot count: whether `ticket` is fewer than max_messages tickets ahead
    // of the consumers' counter, as last seen or, when that says no, as read now. Relaxed: the
    // counter is only a number here, and the slot's sequence ([A21]) orders the data. A stale value
    // only refuses early: a consumer's take (its CAS on the counter, [C21]) precedes its release's
    // [F1] in notify, so a producer that parks ([F2] in wait_after_miss) and retries reads the take
    // at the latest after that wake, or at its next probe.
    bool within_bound(std::uint64_t ticket) noexcept {
        if (ticket_within_bound(ring_.geometry(), ticket, cached_consumer_)) return true;
        cached_consumer_ = ring_.consumer().position.load(std::memory_order_relaxed);
        return ticket_within_bound(ring_.geometry(), ticket, cached_consumer_);
    }

    // Hands ticket's slot, holding `length` bytes (kSlotLengthVoid: none), to the consumers.
    void publish(std::uint64_t ticket, std::uint32_t length) noexcept {
        auto& s = slot(ticket);
        // [R25] release, pairs with [A25] in MpmcReader::take_full_ticket: a consumer still looking at the
        // slot's previous ticket that reads this length also sees that ticket taken. A plain store
        // on x86. The length and the payload are published by [R20].
        s.length.store(length, std::memory_order_release);
        // [R20] release, pairs with [A20] in MpmcReader::take_full_ticket: publishes the length and payload.
        s.sequence.store(slot_full_for(ticket), std::memory_order_release);
        clear_claim();
    }

    std::uint64_t cached_consumer_ = 0;  // the consumers' ticket counter as last read (within_bound)
};

class MpmcReader : public MpmcClaimant {
public:
    using MpmcClaimant::MpmcClaimant;

    // Takes the next message, in place until release(). again: nothing published; too_large: it is
    // longer than `max_length` and stays queued; busy: a message is still open; corrupt: a slot
    // out of range. Void slots are handed back on the way, and `handed_back` set.
    View try_peek(std::size_t max_length, bool& handed_back) noexcept {
        if (open_) return {Status::busy, {}};
        std::uint64_t ticket = 0;
        std::uint32_t length = 0;
        if (const Status status = take_full_ticket(max_length, handed_back, ticket, length); status != Status::ok) return {status, {}};
        open_claim(ticket);
        return {Status::ok, {payload_at(ring_, ticket), length}};
    }

    // Hands the taken slot back to the producers. True when a message was open.
    bool release() noexcept {
        if (!open_) return false;
        open_ = false;
        hand_back(open_ticket_);
        return true;
    }

    // try_peek, a copy into `buffer` and release in one step, with no view in between: the copy
    // path's shortest form. `length` receives the message's size.
    Status try_receive(std::span<std::byte> buffer, std::size_t& length, bool& handed_back) noexcept {
        if (open_) return Status::busy;
        std::uint64_t ticket = 0;
        std::uint32_t size = 0;
        if (const Status status = take_full_ticket(buffer.size(), handed_back, ticket, size); status != Status::ok) return status;
        if (size != 0) std::memcpy(buffer.data(), payload_at(ring_, ticket), size);
        length = size;
        hand_back(ticket);
        return Status::ok;
    }

private:
    // Takes the next ticket whose slot holds a message of at most `max_length` bytes, recording
    // the claim before the CAS; `length` receives its size. Void slots are handed back on the way.
    Status take_full_ticket(std::size_t max_length, bool& handed_back, std::uint64_t& ticket, std::uint32_t& length) noexcept {
        auto& head = ring_.consumer().position;
        // Relaxed: as in MpmcWriter, the slot's sequence ([A20]) orders the data.
        ticket = head.load(std::memory_order_relaxed);
        bool claimed = false;
        for (;;) {
            // Cases as in MpmcWriter::take_free_ticket: 0, our turn; below 0, empty unless others
            // moved on; above 0, taken by another consumer or written by someone else.
            auto& s = slot(ticket);
            // [A20] acquire, pairs with [R20] in MpmcWriter::publish: the message is written.
            const std::uint64_t sequence = s.sequence.load(std::memory_order_acquire);
            const std::int64_t lag = sequence_lag(sequence, slot_full_for(ticket));
            if (lag == 0) {
                // Relaxed: ordered by [A20]. Read once; a later turn may rewrite it if another
                // consumer takes this ticket first, and then our CAS below fails and the value is dropped.
                length = s.length.load(std::memory_order_relaxed);
                const bool is_void = length == layout::kSlotLengthVoid;
                if (!is_void && length > max_message()) return fail_corrupt();
                if (!is_void && length > max_length) {
                    // Refusing takes no CAS that would fail if the slot moved on: check that the
                    // length is still this ticket's. [A25] acquire fence, pairs with [R25] in
                    // publish: a length of a later turn comes with the head moved past our ticket
                    // (its producer's [A21] saw the slot released), and the re-reads below see that.
                    std::atomic_thread_fence(std::memory_order_acquire);
                    // Relaxed, both: ordered by [A25].
                    const std::uint64_t now = head.load(std::memory_order_relaxed);
                    if (now != ticket || s.sequence.load(std::memory_order_relaxed) != sequence) {
                        ticket = now;  // another consumer took it: not ours to refuse
                        continue;
                    }
                    if (claimed) clear_claim();
                    return Status::too_large;
                }
                record_claim(ticket);
                claimed = true;
                if (!take_ticket(head, ticket)) continue;
                if (!is_void) return Status::ok;
                hand_back(ticket);  // nothing to deliver: look at the next ticket
                handed_back = true;
                claimed = false;
                ticket = head.load(std::memory_order_relaxed);
                continue;
            }
            if (const auto outcome = missed_turn(head, ticket, lag, claimed)) return *outcome;
        }
    }

    // Hands ticket's slot back to the producers.
    void hand_back(std::uint64_t ticket) noexcept {
        // [R21] release, pairs with [A21] in MpmcWriter::take_free_ticket: we are done reading the slot.
        slot(ticket).sequence.store(slot_freed_after(ticket, ring_.geometry().capacity), std::memory_order_release);
        clear_claim();
    }
};

// Racy looks, from any thread, at whether the next producer ticket's slot is free, or the next
// consumer ticket's slot full: for poll helpers, which only decide when to signal. Relaxed
// tickets, as in try_claim and try_peek; acquire sequences, as [A21] and [A20].
inline bool mpmc_has_room(const RingView& ring) noexcept {
    const std::uint64_t ticket = ring.producer().position.load(std::memory_order_relaxed);
    // Relaxed, as in MpmcWriter::within_bound: a number; the slot's sequence ([A21]) orders the data.
    if (!ticket_within_bound(ring.geometry(), ticket, ring.consumer().position.load(std::memory_order_relaxed))) return false;
    return slot_at(ring, ticket).sequence.load(std::memory_order_acquire) == slot_free_for(ticket);
}
inline bool mpmc_has_data(const RingView& ring) noexcept {
    const std::uint64_t ticket = ring.consumer().position.load(std::memory_order_relaxed);
    return slot_at(ring, ticket).sequence.load(std::memory_order_acquire) == slot_full_for(ticket);
}

}  // namespace shmring::detail
