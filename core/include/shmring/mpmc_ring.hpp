// MpmcRing: any number of producers and consumers exchanging messages in fixed-size slots.
//
// The slot protocol is detail/mpmc_protocol.hpp (model-checked with its repair by
// verify/mpmc_slots.pml); a handle here is that protocol on an attached endpoint, which adds the
// registry entry (whose claim word the protocol records), counters, waiting and waking, and the
// repair of slots that dead endpoints left unfinished (detail/mpmc_repair.hpp) while it waits.
//
// The ladder is the SPSC ring's (loan.hpp): try_claim / claim -> commit(length) / abort,
// try_peek / peek -> release, try_send / send, try_receive / receive. Every commit and release is
// visible at once: there is nothing to flush.
//
// Handles are single-threaded: one thread at a time may call a handle's methods. Use one handle per
// thread (each is an endpoint of its own).
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <limits>
#include <span>
#include <string_view>

#include "shmring/detail/mpmc_custody.hpp"
#include "shmring/detail/mpmc_protocol.hpp"
#include "shmring/detail/mpmc_repair.hpp"
#include "shmring/detail/reassign.hpp"
#include "shmring/detail/wait_loop.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring {

Outcome create_mpmc_ring(std::string_view name, std::uint64_t slots, std::uint32_t slot_size,
                         layout::ChannelKind kind = layout::ChannelKind::raw, unsigned mode = 0600,
                         const SegmentOptions& options = {});

namespace detail {

// An attached endpoint and its side of the slot protocol (MpmcWriter or MpmcReader).
template <class Protocol>
class MpmcSide {
public:
    const RingSegment& ring() const noexcept { return endpoint_.ring(); }
    Endpoint& endpoint() noexcept { return endpoint_; }
    const Endpoint& endpoint() const noexcept { return endpoint_; }
    std::size_t max_message() const noexcept { return ring().geometry().slot_size; }

    MpmcSide(MpmcSide&&) noexcept = default;
    MpmcSide& operator=(MpmcSide&&) = delete;  // the handles assign whole (detail::reassign)
    // A handle closed with a loan or a taken message open hands the slot on (a loan as a void
    // slot, a taken message as released), so that nobody waits for it. A forked child's copy is
    // its parent's, not the child's to finish.
    ~MpmcSide() {
        if (protocol_.claim_open() && endpoint_.owned_by_this_process() && hand_on(protocol_)) wake_all_sleepers(ring());
    }

protected:
    explicit MpmcSide(Endpoint endpoint) : endpoint_(std::move(endpoint)), protocol_(endpoint_.ring(), endpoint_.entry().claim) {}

    static bool hand_on(MpmcWriter& writer) noexcept { return writer.abort(); }
    static bool hand_on(MpmcReader& reader) noexcept { return reader.release(); }
    static bool hand_on(MpmcCustody&) noexcept { return false; }  // held slots stay for the successor

    // The probe of every MPMC wait: repairs what a dead endpoint left, then asks the caller's probe.
    template <class Repair, class Probe>
    static auto repairing(Repair&& repair, Probe& probe) noexcept {
        return [&repair, &probe]() noexcept {
            repair();
            return probe();
        };
    }

    Endpoint endpoint_;
    Protocol protocol_;
};

}  // namespace detail

class MpmcProducer : public detail::MpmcSide<detail::MpmcWriter> {
public:
    static Result<MpmcProducer> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<MpmcProducer> attach(RingSegment ring, const EndpointOptions& options = {});

    // Lends the next free slot, max_message() bytes. again: every slot is full; too_large: `length`
    // is above max_message(); busy: a loan is open already.
    [[nodiscard]] Loan try_claim(std::size_t length = 0) noexcept {
        if (length > max_message()) return {Status::too_large, {}};
        const Loan loan = protocol_.try_claim();
        endpoint_.count_miss(loan.status, &layout::Counters::full);
        return loan;
    }

    // Like try_claim, waiting for a free slot.
    Loan claim(std::size_t length = 0, Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<Loan>([&](auto attempt) { return wait_for_room(deadline, attempt); }, [&] { return try_claim(length); });
    }

    // Hands the loaned slot, holding its first `length` bytes, to the consumers.
    void commit(std::size_t length) noexcept {
        if (const auto committed = protocol_.commit(length)) {
            endpoint_.count_message(*committed);
            endpoint_.notify(ring().data_event());
        }
    }

    // Gives the loan up: the slot passes to the consumers void, and they skip it.
    void abort() noexcept {
        if (protocol_.abort()) endpoint_.notify(ring().data_event());
    }

    [[nodiscard]] Status try_send(std::span<const std::byte> message) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        const Status status = protocol_.try_send(message);
        if (status == Status::ok) {
            endpoint_.count_message(message.size());
            endpoint_.notify(ring().data_event());
        }
        endpoint_.count_miss(status, &layout::Counters::full);
        return status;
    }

    Status send(std::span<const std::byte> message, Deadline deadline = kNoDeadline) noexcept {
        if (message.size() > max_message()) return Status::too_large;
        return wait_for_room(deadline, [&] { return try_send(message); });
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_room(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        const auto repair = [this] { repair_stalled(); };
        return endpoint_.wait(ring().space_event(), deadline, attempt, repairing(repair, probe));
    }

    // A racy look, from any thread, at whether a slot is free now (poll helpers).
    bool has_room(std::size_t length = 0) const noexcept { return length <= max_message() && detail::mpmc_has_room(ring()); }

    // Frees the slot the next ticket waits for if the consumer holding it died (slow path). Reads
    // only the ring and the endpoint's identity: a poll helper thread may call it.
    bool repair_stalled() const noexcept {
        // Relaxed: repair_unreleased re-reads everything it acts on with acquire.
        return detail::repair_unreleased(ring(), endpoint_, ring().producer().position.load(std::memory_order_relaxed));
    }

    MpmcProducer(MpmcProducer&&) noexcept = default;
    MpmcProducer& operator=(MpmcProducer&& other) noexcept { return detail::reassign(*this, std::move(other)); }

private:
    explicit MpmcProducer(Endpoint endpoint) : MpmcSide(std::move(endpoint)) {}
};

class MpmcConsumer : public detail::MpmcSide<detail::MpmcReader> {
public:
    static Result<MpmcConsumer> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<MpmcConsumer> attach(RingSegment ring, const EndpointOptions& options = {});

    // Takes the next message, in place, until release(). again: nothing published; corrupt: the
    // slot's length is out of range; busy: a taken message is still open.
    [[nodiscard]] View try_peek() noexcept {
        bool handed_back = false;
        const View view = protocol_.try_peek(std::numeric_limits<std::size_t>::max(), handed_back);
        if (handed_back) endpoint_.notify(ring().space_event());
        if (view.status == Status::ok) taken_length_ = static_cast<std::uint32_t>(view.data.size());
        endpoint_.count_miss(view.status, &layout::Counters::empty);
        return view;
    }

    // Like try_peek, waiting for a message.
    View peek(Deadline deadline = kNoDeadline) noexcept {
        return detail::waited<View>([&](auto attempt) { return wait_for_data(deadline, attempt); }, [&] { return try_peek(); });
    }

    // Hands the taken slot back to the producers.
    void release() noexcept {
        if (!protocol_.release()) return;
        endpoint_.count_message(taken_length_);
        endpoint_.notify(ring().space_event());
    }

    // Copies the next message out and releases it. too_large: it is longer than `buffer`, and it
    // stays queued (this consumer did not take it).
    [[nodiscard]] Status try_receive(std::span<std::byte> buffer, std::size_t& length) noexcept {
        bool handed_back = false;
        const Status status = protocol_.try_receive(buffer, length, handed_back);
        if (status == Status::ok) endpoint_.count_message(length);
        if (status == Status::ok || handed_back) endpoint_.notify(ring().space_event());
        endpoint_.count_miss(status, &layout::Counters::empty);
        return status;
    }

    Status receive(std::span<std::byte> buffer, std::size_t& length, Deadline deadline = kNoDeadline) noexcept {
        return wait_for_data(deadline, [&] { return try_receive(buffer, length); });
    }

    template <class Attempt, class Probe = detail::NoProbe>
    Status wait_for_data(Deadline deadline, Attempt&& attempt, Probe&& probe = {}) noexcept {
        const auto repair = [this] { repair_stalled(); };
        return endpoint_.wait(ring().data_event(), deadline, attempt, repairing(repair, probe));
    }

    // A racy look, from any thread, at whether a message is there (poll helpers).
    bool has_data() const noexcept { return detail::mpmc_has_data(ring()); }

    // Skips the slot the next ticket waits for if the producer that claimed it died (slow path).
    // Reads only the ring and the endpoint's identity: a poll helper thread may call it.
    bool repair_stalled() const noexcept {
        // Relaxed: repair_unpublished re-reads everything it acts on with acquire.
        return detail::repair_unpublished(ring(), endpoint_, ring().consumer().position.load(std::memory_order_relaxed));
    }

    MpmcConsumer(MpmcConsumer&&) noexcept = default;
    MpmcConsumer& operator=(MpmcConsumer&& other) noexcept { return detail::reassign(*this, std::move(other)); }

private:
    explicit MpmcConsumer(Endpoint endpoint) : MpmcSide(std::move(endpoint)) {}

    std::uint32_t taken_length_ = 0;
};

// The only consumer of an MPMC ring, holding what it takes until told it is safe elsewhere
// (detail/mpmc_custody.hpp): a bridge's source. Unconfirmed messages outlive the handle, and its
// process: the next holder reads them again, and until then the ring's custody mark keeps other
// consumers out. Positions are ticket + 1 (View::sequence).
class MpmcHolder : public detail::MpmcSide<detail::MpmcCustody> {
public:
    // Errc::busy when another consumer is attached, or a live holder: a holder must be the only one.
    static Result<MpmcHolder> attach(std::string_view name, const EndpointOptions& options = {});
    static Result<MpmcHolder> attach(RingSegment ring, const EndpointOptions& options = {});

    // The next ticket's message, or void (View::type detail::kHeldVoid), held in place. again,
    // corrupt, or busy when another consumer took it.
    [[nodiscard]] View try_take() noexcept {
        const View view = protocol_.try_take();
        endpoint_.count_miss(view.status, &layout::Counters::empty);
        return view;
    }

    std::uint64_t confirmed() const noexcept { return protocol_.confirmed(); }
    std::uint64_t read_through() const noexcept { return protocol_.read_through(); }

    // Hands back the slots of the messages before `position`. False when `position` is before
    // confirmed() or past what was taken.
    bool confirm_through(std::uint64_t position) noexcept {
        const std::uint64_t before = confirmed();
        std::uint64_t messages = 0;
        std::uint64_t bytes = 0;
        if (!protocol_.confirm_through(position, messages, bytes)) return false;
        endpoint_.counters().messages.add_by_owner(messages);
        endpoint_.counters().bytes.add_by_owner(bytes);
        if (position != before) endpoint_.notify(ring().space_event());
        return true;
    }

    // Reads again from the first unconfirmed message.
    void rewind() noexcept { protocol_.rewind(); }

    // A racy look, from any thread, at whether the message at `ticket` is there (poll helpers).
    bool has_data_at(std::uint64_t ticket) const noexcept { return detail::mpmc_turn_full(ring(), ticket); }

    // As MpmcConsumer::repair_stalled: skips the slot of a producer that died before publishing.
    bool repair_stalled() const noexcept {
        // Relaxed: repair_unpublished re-reads everything it acts on with acquire.
        return detail::repair_unpublished(ring(), endpoint_, ring().consumer().position.load(std::memory_order_relaxed));
    }

    MpmcHolder(MpmcHolder&&) noexcept = default;
    MpmcHolder& operator=(MpmcHolder&& other) noexcept { return detail::reassign(*this, std::move(other)); }
    // Clears the custody mark when nothing is held; keeps it for the next holder otherwise.
    ~MpmcHolder();

private:
    explicit MpmcHolder(Endpoint endpoint) : MpmcSide(std::move(endpoint)), marked_(true) {}

    detail::ResetOnMove<bool> marked_;  // this handle set the custody mark (a moved-from one did not)
};

}  // namespace shmring
