// MpmcRing: any number of producers and consumers exchanging messages in fixed-size slots.
// Model-checked with its repair by verify/mpmc_slots.pml (verify/run.sh): keep the two in step.
//
// Bounded-queue design with a ticket per slot (layout.hpp, SlotHeader): producers take tickets from
// ProducerBlock::position, consumers from ConsumerBlock::position, each with a CAS that succeeds
// only once the slot for that ticket is ready for it, so a ticket is never held while waiting and a
// try or timed operation can always give up. The slot's sequence, not the ticket counter, carries
// the data: [R1]/[A1] hand a message from producer to consumer, [R2]/[A2] hand the emptied slot
// back. Messages of one producer are delivered in the order sent; each exactly once.
//
// Claims are recorded: before its CAS an endpoint stores the ticket it is claiming in its registry
// entry (`claim`, cleared once the slot is handed on). The CAS is a release, so anyone who sees the
// ticket taken also sees who may hold it; a slot left unfinished by an endpoint that died can then
// be traced to that endpoint, and proved abandoned by its pid and start time, never by a timeout.
//
// Handles are single-threaded: one thread at a time may call a handle's methods. Use one handle per
// thread (each is an endpoint of its own).
#pragma once

#include <algorithm>
#include <cstring>
#include <limits>
#include <span>
#include <string_view>
#include <utility>

#include "shmring/detail/mpmc_repair.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring {

struct SlotLoan {
    Status status;               // ok: fill `data` (slot_size bytes), then publish(length)
    std::span<std::byte> data;
};

struct Message {
    Status status;               // ok: the message, in place until release()
    std::span<const std::byte> data;
};

Outcome create_mpmc_ring(std::string_view name, std::uint64_t slots, std::uint32_t slot_size,
                         layout::ChannelKind kind = layout::ChannelKind::raw, unsigned mode = 0600,
                         const SegmentOptions& options = {});

namespace detail {

// What producers and consumers share: the slot arithmetic and the claim record.
class MpmcSide {
public:
    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    std::size_t max_message() const noexcept { return ring().geometry().slot_size; }

    MpmcSide(MpmcSide&& other) noexcept
        : endpoint_(std::move(other.endpoint_)), open_(std::exchange(other.open_, OpenClaim::none)), open_ticket_(other.open_ticket_) {}
    MpmcSide& operator=(MpmcSide&& other) noexcept {
        if (this != &other) {
            finish_open_claim();
            endpoint_ = std::move(other.endpoint_);
            open_ = std::exchange(other.open_, OpenClaim::none);
            open_ticket_ = other.open_ticket_;
        }
        return *this;
    }
    // A handle closed with a loan or a taken message open hands the slot on (a loan as a void
    // slot, a taken message as released), so that nobody waits for it.
    ~MpmcSide() { finish_open_claim(); }

protected:
    explicit MpmcSide(Endpoint endpoint) : endpoint_(std::move(endpoint)) {}

    enum class OpenClaim { none, loan, taken };
    void open_claim(OpenClaim kind, std::uint64_t ticket) noexcept {
        open_ = kind;
        open_ticket_ = ticket;
    }
    void close_claim() noexcept { open_ = OpenClaim::none; }
    void finish_open_claim() noexcept {
        if (open_ == OpenClaim::none || !endpoint_.owned_by_this_process()) return;
        auto& s = slot(open_ticket_);
        if (open_ == OpenClaim::loan) {
            s.length.store(layout::kSlotLengthVoid, std::memory_order_relaxed);  // published by the release below
            s.sequence.store(2 * open_ticket_ + 1, std::memory_order_release);  // [R1] as in publish
        } else {
            s.sequence.store(2 * (open_ticket_ + ring().geometry().capacity), std::memory_order_release);  // [R2]
        }
        clear_claim();
        wake_all_sleepers(ring());
        open_ = OpenClaim::none;
    }

    layout::SlotHeader& slot(std::uint64_t ticket) const noexcept {
        const auto& g = ring().geometry();
        return *reinterpret_cast<layout::SlotHeader*>(ring().data() + (ticket & g.mask) * g.slot_stride);
    }
    std::byte* payload(std::uint64_t ticket) const noexcept {
        return reinterpret_cast<std::byte*>(&slot(ticket)) + sizeof(layout::SlotHeader);
    }
    layout::Counters& counters() const noexcept { return endpoint_.counters(); }
    // [C0] release, pairs with the acquire in mpmc_repair's claimants(): a repairer that reads any
    // claim value of ours also sees every slot we handed on before it, so it can never mistake a
    // slot we published (or released) for one still unfinished. Release stores are plain stores on
    // x86; the claim lives on this endpoint's own line.
    void record_claim(std::uint64_t ticket) noexcept { endpoint_.entry().claim.store(ticket + 1, std::memory_order_release); }
    void clear_claim() noexcept { endpoint_.entry().claim.store(0, std::memory_order_release); }

    // Takes the ticket `expected` from `counter` if nobody did first. On failure `expected` holds
    // the counter's current value.
    static bool take_ticket(SharedAtomic<std::uint64_t>& counter, std::uint64_t& expected) noexcept {
        // [C1] release: publishes the claim recorded just before. Relaxed on failure: nothing was taken.
        return counter.compare_exchange_weak(expected, expected + 1, std::memory_order_release, std::memory_order_relaxed);
    }

    // A sequence ahead of the ticket although the counter has not moved, or a length out of range:
    // no protocol step makes that, so the segment was written by someone else. Called only while
    // no loan or taken message is open, so a recorded claim is one this call made for a ticket it
    // did not take: left in place, it would keep that ticket from repair for as long as we live.
    Status fail_corrupt() noexcept {
        clear_claim();
        ring().mark_corrupt();
        return Status::corrupt;
    }

    // The probe of every MPMC wait: repairs what a dead endpoint left, then asks the caller's probe.
    template <class Repair, class Probe>
    static auto repairing(Repair&& repair, Probe& probe) noexcept {
        return [&repair, &probe]() noexcept {
            repair();
            return probe();
        };
    }

    Endpoint endpoint_;
    OpenClaim open_ = OpenClaim::none;
    std::uint64_t open_ticket_ = 0;
};

}  // namespace detail

class MpmcProducer : public detail::MpmcSide {
public:
    static Result<MpmcProducer> attach(std::string_view name, const AttachOptions& options = {});
    static Result<MpmcProducer> attach(RingSegment ring, const AttachOptions& options = {});

    // Loans the next free slot. again: every slot is full; busy: a loan is open already.
    [[nodiscard]] SlotLoan try_loan() noexcept {
        if (open_ != OpenClaim::none) return {Status::busy, {}};
        auto& tail = ring().producer().position;
        // Relaxed: a ticket is only a number; the slot's sequence ([A2]) says whether it is usable.
        std::uint64_t ticket = tail.load(std::memory_order_relaxed);
        bool claimed = false;
        for (;;) {
            // [A2] acquire, pairs with [R2] in MpmcConsumer::release: the slot's last reader is done.
            const std::uint64_t sequence = slot(ticket).sequence.load(std::memory_order_acquire);
            const auto lag = static_cast<std::int64_t>(sequence - 2 * ticket);
            if (lag == 0) {
                record_claim(ticket);
                claimed = true;
                if (take_ticket(tail, ticket)) {
                    open_claim(OpenClaim::loan, ticket);
                    return {Status::ok, {payload(ticket), max_message()}};
                }
            } else if (lag < 0) {
                // The slot still holds the message of ticket - capacity: full, unless others moved on.
                const std::uint64_t now = tail.load(std::memory_order_relaxed);
                if (now == ticket) {
                    if (claimed) clear_claim();
                    if (!endpoint_.waiting()) counters().full.add_by_owner(1);
                    return {Status::again, {}};
                }
                ticket = now;
            } else {
                const std::uint64_t now = tail.load(std::memory_order_relaxed);  // another producer took it already
                if (now == ticket) return {fail_corrupt(), {}};
                ticket = now;
            }
        }
    }

    // Hands the loaned slot, holding `length` bytes (at most max_message()), to the consumers.
    void publish(std::size_t length) noexcept {
        if (open_ != OpenClaim::loan) return;
        length = std::min(length, max_message());
        auto& s = slot(open_ticket_);
        // [R5] release, pairs with [A5] in MpmcConsumer::take: a consumer still looking at the slot's
        // previous ticket that reads this length also sees that ticket taken. A plain store on x86.
        // The length and the payload are published by [R1].
        s.length.store(static_cast<std::uint32_t>(length), std::memory_order_release);
        // [R1] release, pairs with [A1] in MpmcConsumer::take: publishes the length and payload.
        s.sequence.store(2 * open_ticket_ + 1, std::memory_order_release);
        close_claim();
        clear_claim();
        counters().messages.add_by_owner(1);
        counters().bytes.add_by_owner(length);
        endpoint_.notify(ring().data_event());
    }

    // Gives the loan up: the slot passes to the consumers empty, and they skip it.
    void abort() noexcept {
        if (open_ != OpenClaim::loan) return;
        auto& s = slot(open_ticket_);
        s.length.store(layout::kSlotLengthVoid, std::memory_order_relaxed);  // published by [R1]
        s.sequence.store(2 * open_ticket_ + 1, std::memory_order_release);  // [R1] as in publish
        close_claim();
        clear_claim();
        endpoint_.notify(ring().data_event());
    }

    [[nodiscard]] Status try_send(std::span<const std::byte> message) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        const SlotLoan loan = try_loan();
        if (loan.status != Status::ok) return loan.status;
        if (!message.empty()) std::memcpy(loan.data.data(), message.data(), message.size());
        publish(message.size());
        return Status::ok;
    }

    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        return wait_for_room(deadline, [&] { return try_send(message); });
    }

    SlotLoan loan(Deadline deadline = kNoDeadline) noexcept {
        SlotLoan result{Status::again, {}};
        const Status status = wait_for_room(deadline, [&] {
            result = try_loan();
            return result.status;
        });
        result.status = status;
        return result;
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_room(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        const auto repair = [this] { repair_stalled(); };
        return endpoint_.wait(ring().space_event(), deadline, attempt, repairing(repair, probe));
    }

    // Frees the slot the next ticket waits for if the consumer holding it died (slow path).
    bool repair_stalled() noexcept {
        // Relaxed: repair_unreleased re-reads everything it acts on with acquire.
        return detail::repair_unreleased(ring(), endpoint_, ring().producer().position.load(std::memory_order_relaxed));
    }

private:
    explicit MpmcProducer(Endpoint endpoint) : MpmcSide(std::move(endpoint)) {}
};

class MpmcConsumer : public detail::MpmcSide {
public:
    static Result<MpmcConsumer> attach(std::string_view name, const AttachOptions& options = {});
    static Result<MpmcConsumer> attach(RingSegment ring, const AttachOptions& options = {});

    // Takes the next message, in place, until release(). again: nothing published; corrupt: the
    // slot's length is out of range; busy: a taken message is still open.
    [[nodiscard]] Message try_take() noexcept { return take(std::numeric_limits<std::size_t>::max()); }

    // Hands the taken slot back to the producers.
    void release() noexcept {
        if (open_ != OpenClaim::taken) return;
        const std::uint64_t capacity = ring().geometry().capacity;
        // [R2] release, pairs with [A2] in MpmcProducer::try_loan: we are done reading the slot.
        slot(open_ticket_).sequence.store(2 * (open_ticket_ + capacity), std::memory_order_release);
        close_claim();
        clear_claim();
        counters().messages.add_by_owner(1);
        counters().bytes.add_by_owner(taken_length_);
        endpoint_.notify(ring().space_event());
    }

    // Copies the next message out and releases it. too_large: it is longer than `buffer`, and it
    // stays queued (this consumer did not take it).
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
        const Message message = take(buffer.size());
        if (message.status != Status::ok) return message.status;
        if (!message.data.empty()) std::memcpy(buffer.data(), message.data.data(), message.data.size());
        length = message.data.size();
        release();
        return Status::ok;
    }

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline) noexcept {
        return wait_for_data(deadline, [&] { return try_receive(buffer, length); });
    }

    Message take_wait(Deadline deadline = kNoDeadline) noexcept {
        Message result{Status::again, {}};
        const Status status = wait_for_data(deadline, [&] {
            result = try_take();
            return result.status;
        });
        result.status = status;
        return result;
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_data(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        const auto repair = [this] { repair_stalled(); };
        return endpoint_.wait(ring().data_event(), deadline, attempt, repairing(repair, probe));
    }

    // Skips the slot the next ticket waits for if the producer that claimed it died (slow path).
    bool repair_stalled() noexcept {
        // Relaxed: repair_unpublished re-reads everything it acts on with acquire.
        return detail::repair_unpublished(ring(), endpoint_, ring().consumer().position.load(std::memory_order_relaxed));
    }

private:
    explicit MpmcConsumer(Endpoint endpoint) : MpmcSide(std::move(endpoint)) {}

    Message take(std::size_t max_length) noexcept {
        if (open_ != OpenClaim::none) return {Status::busy, {}};
        auto& head = ring().consumer().position;
        // Relaxed: as in try_loan, the slot's sequence ([A1]) orders the data.
        std::uint64_t ticket = head.load(std::memory_order_relaxed);
        bool claimed = false;
        for (;;) {
            auto& s = slot(ticket);
            // [A1] acquire, pairs with [R1] in MpmcProducer::publish: the message is written.
            const std::uint64_t sequence = s.sequence.load(std::memory_order_acquire);
            const auto lag = static_cast<std::int64_t>(sequence - (2 * ticket + 1));
            if (lag == 0) {
                // Relaxed: ordered by [A1]. Read once; a later turn may rewrite it if another consumer
                // takes this ticket first, and then our CAS below fails and the value is dropped.
                const std::uint32_t length = s.length.load(std::memory_order_relaxed);
                const bool is_void = length == layout::kSlotLengthVoid;
                if (!is_void && length > max_message()) return {fail_corrupt(), {}};
                if (!is_void && length > max_length) {
                    // Refusing takes no CAS that would fail if the slot moved on: check that the
                    // length is still this ticket's. [A5] acquire fence, pairs with [R5] in publish:
                    // a length of a later turn comes with the head moved past our ticket (its
                    // producer's [A2] saw the slot released), and the re-reads below see that.
                    std::atomic_thread_fence(std::memory_order_acquire);
                    // Relaxed, both: ordered by [A5].
                    const std::uint64_t now = head.load(std::memory_order_relaxed);
                    if (now != ticket || s.sequence.load(std::memory_order_relaxed) != sequence) {
                        ticket = now;  // another consumer took it: not ours to refuse
                        continue;
                    }
                    if (claimed) clear_claim();
                    return {Status::too_large, {}};
                }
                record_claim(ticket);
                claimed = true;
                if (take_ticket(head, ticket)) {
                    if (is_void) {  // nothing to deliver: hand it back and look at the next ticket
                        s.sequence.store(2 * (ticket + ring().geometry().capacity), std::memory_order_release);  // [R2]
                        clear_claim();
                        endpoint_.notify(ring().space_event());
                        ticket = head.load(std::memory_order_relaxed);
                        continue;
                    }
                    open_claim(OpenClaim::taken, ticket);
                    taken_length_ = length;
                    return {Status::ok, {payload(ticket), length}};
                }
            } else if (lag < 0) {
                const std::uint64_t now = head.load(std::memory_order_relaxed);
                if (now == ticket) {
                    if (claimed) clear_claim();
                    if (!endpoint_.waiting()) counters().empty.add_by_owner(1);
                    return {Status::again, {}};
                }
                ticket = now;
            } else {
                const std::uint64_t now = head.load(std::memory_order_relaxed);
                if (now == ticket) return {fail_corrupt(), {}};
                ticket = now;
            }
        }
    }

    std::uint32_t taken_length_ = 0;
};

}  // namespace shmring
