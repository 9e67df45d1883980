// repair_unpublished is model-checked by verify/mpmc_slots.pml (verify/run.sh): keep the two in step.
#include "shmring/detail/mpmc_repair.hpp"

#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/endpoint.hpp"

namespace shmring::detail {

namespace {

using layout::EndpointRole;

enum class Claimants { none, some_alive, all_dead };

// Who may hold `ticket`: every attached endpoint of `role` whose recorded claim names it.
Claimants claimants(const RingSegment& ring, EndpointRole role, std::uint64_t ticket) noexcept {
    bool dead = false;
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        const auto& entry = ring.endpoint(i);
        // Acquire, pairs with [R3] in attach: the entry's fields are those of its current owner.
        const std::uint64_t state = entry.state.load(std::memory_order_acquire);
        if (layout::endpoint_status(state) == layout::EndpointStatus::free) continue;
        if (entry.role.load(std::memory_order_relaxed) != static_cast<std::uint32_t>(role)) continue;
        // Acquire, pairs with [C20]: whatever claim value we read, the slots its endpoint handed on
        // before writing it are visible to the caller's next look at the slot.
        if (entry.claim.load(std::memory_order_acquire) != ticket + 1) continue;
        if (entry_presence(ring, i, state) == Presence::alive) return Claimants::some_alive;
        dead = true;
    }
    return dead ? Claimants::all_dead : Claimants::none;
}

void clear_dead_claims(const RingSegment& ring, EndpointRole role, std::uint64_t ticket) noexcept {
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        auto& entry = ring.endpoint(i);
        const std::uint64_t state = entry.state.load(std::memory_order_acquire);
        if (entry.role.load(std::memory_order_relaxed) != static_cast<std::uint32_t>(role) ||
            entry_presence(ring, i, state) != Presence::dead)
            continue;
        std::uint64_t expected = ticket + 1;
        // Relaxed: the claim only tells whether the dead entry still holds something up.
        entry.claim.compare_exchange_strong(expected, 0, std::memory_order_relaxed, std::memory_order_relaxed);
    }
}

// The ring's repair lock, held by `self` for one repair. A holder that died is replaced.
class RepairLock {
public:
    RepairLock(const RingSegment& ring, const Endpoint& self) noexcept : word_(ring.control().repair_lock), mine_(self.role_word()) {
        std::uint64_t held = 0;
        // Acquire: the previous repairer's writes to the slot are visible to our re-check.
        if (word_.compare_exchange_strong(held, mine_, std::memory_order_acquire, std::memory_order_relaxed)) {
            owned_ = true;
        } else if (role_holder_presence(ring, held) != Presence::alive) {
            owned_ = word_.compare_exchange_strong(held, mine_, std::memory_order_acquire, std::memory_order_relaxed);
        }
    }
    ~RepairLock() {
        // Release: the next repairer sees this repair's writes.
        if (owned_) word_.store(0, std::memory_order_release);
    }
    RepairLock(const RepairLock&) = delete;
    RepairLock& operator=(const RepairLock&) = delete;
    explicit operator bool() const noexcept { return owned_; }

private:
    SharedAtomic<std::uint64_t>& word_;
    std::uint64_t mine_;
    bool owned_ = false;
};

// The repair of one slot: `looks_abandoned` is the slot's state that only a dead claimant leaves,
// checked before the lock (cheaply) and again under it after the claimants, in that order: a
// claimant that handed the slot on before we read its claim is then seen to have done so.
template <class Abandoned, class Repair>
bool repair_slot(const RingSegment& ring, const Endpoint& self, EndpointRole claimant_role, std::uint64_t claimed_ticket,
                 Abandoned looks_abandoned, Repair repair) noexcept {
    if (!looks_abandoned()) return false;
    const RepairLock lock(ring, self);
    if (!lock) return false;
    if (claimants(ring, claimant_role, claimed_ticket) != Claimants::all_dead || !looks_abandoned()) return false;
    // Counted before the repair that makes the loss visible: a repairer that dies in between leaves
    // the slot to the next one, which counts it again. Counted twice then, but never lost.
    // Relaxed, both: a statistic.
    auto& lost = ring.control().lost_messages;
    lost.fetch_add(1, std::memory_order_relaxed);
    if (!repair()) {
        lost.fetch_sub(1, std::memory_order_relaxed);
        return false;
    }
    clear_dead_claims(ring, claimant_role, claimed_ticket);
    reap_dead_endpoints(ring);
    wake_all_sleepers(ring);
    return true;
}

// Whether an MPMC ring is in the custody of a holder other than `self` (mpmc_custody.hpp). Such a
// ring has no other consumer and its holder records no claims: a claim naming a held ticket is
// stale, never a reason to free the slot. Relaxed: read after the acquire of the consumers'
// counter that saw the ticket taken, which pairs with the holder's take ([C22]), made after it
// set the mark and cleared stale claims.
bool held_by_another(const RingSegment& ring, const Endpoint& self) noexcept {
    if (ring.geometry().engine != layout::Engine::mpmc) return false;
    const std::uint64_t mark = ring.control().consumer_role.load(std::memory_order_relaxed);
    return mark != 0 && mark != self.role_word();
}

}  // namespace

bool repair_unpublished(const RingSegment& ring, const Endpoint& self, std::uint64_t ticket) noexcept {
    auto& slot = slot_at(ring, ticket);
    const auto unpublished = [&] {
        // Acquire, pairs with [R20]: a published slot is left alone. Then acquire, pairs with [C21]:
        // if a producer took the ticket, its recorded claim is visible. Not taken: just empty.
        return slot.sequence.load(std::memory_order_acquire) == slot_free_for(ticket) &&
               ticket_taken(ring.producer().position.load(std::memory_order_acquire), ticket);
    };
    return repair_slot(ring, self, EndpointRole::producer, ticket, unpublished, [&] {
        // Every claimant is dead and repairs are serialised: nobody else writes this slot now.
        slot.length.store(layout::kSlotLengthVoid, std::memory_order_relaxed);  // published by the CAS
        std::uint64_t expected = slot_free_for(ticket);
        // [R20] release, as a commit: consumers take the void slot and move past it.
        return slot.sequence.compare_exchange_strong(expected, slot_full_for(ticket), std::memory_order_release,
                                                     std::memory_order_relaxed);
    });
}

bool repair_unreleased(const RingSegment& ring, const Endpoint& self, std::uint64_t ticket) noexcept {
    const std::uint64_t capacity = ring.geometry().capacity;
    const std::uint64_t taken = ticket - capacity;  // the consumer ticket whose message fills the slot
    auto& slot = slot_at(ring, ticket);
    const auto unreleased = [&] {
        // As in repair_unpublished, with the consumers' counter ([C21] of consumers, or a holder's
        // take). Not taken: just full.
        return slot.sequence.load(std::memory_order_acquire) == slot_full_for(taken) &&
               ticket_taken(ring.consumer().position.load(std::memory_order_acquire), taken) && !held_by_another(ring, self);
    };
    return repair_slot(ring, self, EndpointRole::consumer, taken, unreleased, [&] {
        std::uint64_t expected = slot_full_for(taken);
        // [R21] release, as a consumer's release: the slot is free for the producer of `ticket`.
        return slot.sequence.compare_exchange_strong(expected, slot_freed_after(taken, capacity), std::memory_order_release,
                                                     std::memory_order_relaxed);
    });
}

bool claim_settled(const RingSegment& ring, const layout::EndpointEntry& entry) noexcept {
    const std::uint64_t claim = entry.claim.load(std::memory_order_relaxed);
    if (claim == 0) return true;
    // Services' request queues are MPMC rings too.
    if (ring.geometry().engine != layout::Engine::mpmc && ring.geometry().engine != layout::Engine::service) return true;
    const std::uint64_t ticket = claim - 1;
    const std::uint64_t sequence = slot_at(ring, ticket).sequence.load(std::memory_order_acquire);
    if (entry.role.load(std::memory_order_relaxed) == static_cast<std::uint32_t>(EndpointRole::producer))
        return !(ticket_taken(ring.producer().position.load(std::memory_order_acquire), ticket) && sequence == slot_free_for(ticket));
    return !(ticket_taken(ring.consumer().position.load(std::memory_order_acquire), ticket) && sequence == slot_full_for(ticket));
}

}  // namespace shmring::detail
