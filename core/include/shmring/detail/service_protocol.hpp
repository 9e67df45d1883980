// Internal. The call protocol of services over a RingView: what clients and servers do to the call
// slots and the request queue (no counters or wake-ups: service.hpp adds those). Model-checked by
// verify/service_call.pml (verify/run.sh): keep the two in step.
//
// A call lives in a call slot (layout.hpp, CallHeader) whose state word says, in one CAS-able
// value, which use of the slot it is (generation), its phase, its client and its server:
//
//   client   free -> writing      [S0] claims a free slot (CAS; it acquires the last user's release)
//   client   writing -> queued    [S1] publishes the request, then puts the id in the request queue
//   server   queued -> serving    [S2] takes the call (CAS), while it holds the queue ticket
//   server   serving -> answered  [S3] publishes the response (CAS: the client may give up meanwhile),
//                                      then posts the outcome on the line its waiting client watches
//   client   answered -> free     [S4] after copying the response out
//
// Giving up (a timeout, a close, a death) is a CAS too: queued -> free (the id left in the queue is
// stale, and a server skips it: its CAS [S2] expects the old generation), serving -> abandoned
// (the server frees it when it answers), answered, reset or refused -> free. A server that dies or closes
// while serving leaves the call to be reset: serving -> reset, which its client turns into
// ECONNRESET; the call is never queued again (at most once). A dead endpoint's calls are settled
// by whoever takes its registry entry (settle_calls_of, under the entry's lease). A client whose
// call waits for a server that died, or for one when none is left, does not wait for that reaper:
// it settles the call itself (settle_call_if_gone: serving or queued -> reset or refused, a CAS
// like the server's answer), and its next collect reports the verdict and frees the call.
//
// Why a server takes the call while it holds the queue ticket: the ticket is recorded in its
// registry entry (mpmc_protocol.hpp, [C20]), so a server that dies after taking the ticket and
// before [S2] can be traced. A client whose call stays queued although its ticket was taken asks
// who holds the ticket; when every holder is dead, it repairs the queue slot and resets the call
// (CallerProtocol::settle_call_if_gone). A live server always does [S2] before handing the queue
// slot back, so a queue slot handed back with the call still queued can only be a dead server's.
//
// Every step that ends a call for its client (answered, reset, refused) is followed by a post of
// that state on the call's ResponseHeader line (post_outcome), which a waiting client watches
// instead of the state word; it frees the call by a CAS from the state posted, so a stale or
// forged post frees nothing. A post that never came is made good by the wait's probe.
//
// Every value read from the segment is checked before use: an id names a slot in range, a length
// fits its area, a phase is one of those above. Anything else is corruption (EPROTO).
#pragma once

#include <cstdint>
#include <cstring>
#include <atomic>
#include <ctime>
#include <memory>
#include <optional>
#include <span>

#include "shmring/detail/mpmc_protocol.hpp"
#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/detail/prefetch.hpp"
#include "shmring/layout.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_view.hpp"

namespace shmring::detail {

using layout::CallPhase;

// Byte offset of call slot `index` in the data area. validate_header proved every call slot of
// the geometry inside the object, so any index below max_messages is in bounds.
constexpr std::uint64_t call_offset(const RingGeometry& geometry, std::uint64_t index) noexcept {
    return geometry.calls_offset + index * geometry.call_stride;
}

inline layout::CallHeader& call_at(const RingView& ring, std::uint64_t index) noexcept {
    return *reinterpret_cast<layout::CallHeader*>(ring.data() + call_offset(ring.geometry(), index));
}
inline std::byte* request_area(const RingView& ring, std::uint64_t index) noexcept {
    return reinterpret_cast<std::byte*>(&call_at(ring, index)) + sizeof(layout::CallHeader);
}
inline layout::ResponseHeader& response_header(const RingView& ring, std::uint64_t index) noexcept {
    return *reinterpret_cast<layout::ResponseHeader*>(reinterpret_cast<std::byte*>(&call_at(ring, index)) +
                                                      layout::response_header_offset(ring.geometry().max_request));
}
inline std::byte* response_area(const RingView& ring, std::uint64_t index) noexcept {
    return reinterpret_cast<std::byte*>(&response_header(ring, index)) + sizeof(layout::ResponseHeader);
}
inline std::uint64_t call_count(const RingView& ring) noexcept { return ring.geometry().max_messages; }

// The tag of endpoint entry `index` in a call's state word.
constexpr std::uint32_t endpoint_tag(std::uint32_t index) noexcept { return index + 1; }

inline bool known_phase(std::uint64_t state) noexcept { return layout::call_phase(state) <= CallPhase::refused; }

// Whether a call in `state` has ended for its client: what it waits for is there to collect.
inline bool is_outcome(std::uint64_t state) noexcept {
    const CallPhase phase = layout::call_phase(state);
    return phase == CallPhase::answered || phase == CallPhase::reset || phase == CallPhase::refused;
}

// Tells the waiting client of call `index` that its call ended in `state`, after the step that
// put it there. Release, pairs with the acquire in CallerProtocol::try_collect: the response (and
// that step) is visible to a client that sees the outcome. A late post (its poster stalled) can
// hide the next call's outcome; the client's probe (settle_if_gone) then posts it again.
inline void post_outcome(const RingView& ring, std::uint64_t index, std::uint64_t state) noexcept {
    response_header(ring, index).outcome.store(state, std::memory_order_release);
}

// Who gives a call up: its client (a timeout or a close; a dead client's reaper likewise), or the
// server serving it (a close; a dead server's reaper likewise). The state the call's phase then
// goes to, or `state` itself when that side has nothing to give up.
constexpr std::uint64_t given_up(std::uint64_t state, bool as_client) noexcept {
    const std::uint64_t generation = layout::call_generation(state);
    const std::uint64_t freed = layout::call_state(generation, CallPhase::free, 0, 0);
    switch (layout::call_phase(state)) {
        case CallPhase::writing:
        case CallPhase::queued:
        case CallPhase::answered:
        case CallPhase::reset:
        case CallPhase::refused:
            return as_client ? freed : state;
        case CallPhase::serving:
            return layout::call_state(generation, as_client ? CallPhase::abandoned : CallPhase::reset, layout::call_client(state),
                                      layout::call_server(state));
        case CallPhase::abandoned:
            return as_client ? state : freed;
        case CallPhase::free:
            break;
    }
    return state;
}

// A step of call `index` from `state` to `next` by CAS, other than [S0] and [S2]: [S3], a verdict,
// a give-up, [S4]. False when the call is no longer `state` (the caller reads it again). A step
// that ends the call for its client (answered, reset, refused) is posted after it.
inline bool step_call(const RingView& ring, std::uint64_t index, std::uint64_t state, std::uint64_t next) noexcept {
    // Release, pairs with the acquire of whoever reads the state next: [S3] and the verdicts with
    // the client's mine(), [S4] with the next claimer's [S0] (we are done with the areas).
    if (!call_at(ring, index).state.compare_exchange_strong(state, next, std::memory_order_release, std::memory_order_relaxed))
        return false;
    if (is_outcome(next)) post_outcome(ring, index, next);
    return true;
}

// The step of given_up. False when the call is no longer `state` (the caller reads it again).
inline bool give_up_call(const RingView& ring, std::uint64_t index, std::uint64_t state, bool as_client) noexcept {
    const std::uint64_t next = given_up(state, as_client);
    return next == state || step_call(ring, index, state, next);
}

// How often a give-up retries a CAS that another process keeps failing: each failure is a step of
// the call's other side, which makes at most two (take, answer), so this bound is never reached
// but by garbage written into the segment.
inline constexpr int kGiveUpAttempts = 64;

// Settles every call of endpoint entry `index`, whose owner is gone (closed or dead): its calls
// as a client are given up, its calls as a server reset or freed. Returns whether any changed.
inline bool settle_calls_of(const RingView& ring, std::uint32_t index) noexcept {
    const std::uint32_t tag = endpoint_tag(index);
    bool changed = false;
    for (std::uint64_t i = 0; i < call_count(ring); ++i) {
        auto& call = call_at(ring, i);
        // Bounded: a segment written by someone else must not keep us here.
        for (int attempt = 0; attempt < kGiveUpAttempts; ++attempt) {
            // Relaxed: the CAS decides; a stale value only makes it fail, and we look again.
            std::uint64_t state = call.state.load(std::memory_order_relaxed);
            if (!known_phase(state)) break;
            const bool as_client = layout::call_client(state) == tag;
            const bool as_server = layout::call_server(state) == tag;
            // A process that called itself is both: given up as the client, then as the server.
            std::uint64_t next = as_client ? given_up(state, true) : state;
            if (next == state && as_server) next = given_up(state, false);
            if (next == state) break;
            if (step_call(ring, i, state, next)) changed = true;
        }
    }
    return changed;
}

// When a call was sent, for people: the coarse clock (a tick's precision, a fraction of the cost).
inline std::uint64_t realtime_now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

// A client's side: sends requests, collects responses.
class CallerProtocol {
public:
    // Allocates the table of this client's queue tickets (one word per call slot).
    CallerProtocol(const RingView& ring, SharedAtomic<std::uint64_t>& claim, std::uint32_t index)
        : ring_(ring), queue_(ring, claim), tag_(endpoint_tag(index)), tickets_(new std::atomic<std::uint64_t>[call_count(ring)]) {}

    const RingView& ring() const noexcept { return ring_; }
    std::size_t max_request() const noexcept { return ring_.geometry().max_request; }
    std::size_t max_response() const noexcept { return ring_.geometry().max_response; }

    // Whether any server is attached (a look at the mask: no system call).
    bool server_attached() const noexcept {
        // Relaxed: a hint. A server that attaches at the same time may be refused, as one that
        // attached a moment later would have been.
        return ring_.control().servers.load(std::memory_order_relaxed) != 0;
    }

    // Sends `request` (at most max_request bytes) as a new call; `id` receives its request id.
    // again: every call slot is in use, or the queue is full of ids given up; refused: no server.
    Status try_send(std::span<const std::byte> request, std::uint64_t& id) noexcept {
        if (!server_attached()) return Status::refused;
        std::uint64_t index = 0;
        std::uint64_t generation = 0;
        if (!claim_free_call(index, generation)) return Status::again;
        auto& call = call_at(ring_, index);
        // The queue slot our id will likely take, fetched while the request is copied. Relaxed: a
        // hint (the queue's own steps decide which slot it gets).
        prefetch_for_write(&slot_at(ring_, ring_.producer().position.load(std::memory_order_relaxed)));
        if (!request.empty()) std::memcpy(request_area(ring_, index), request.data(), request.size());
        // Relaxed, these two: published by [S1].
        call.request_length.store(static_cast<std::uint32_t>(request.size()), std::memory_order_relaxed);
        call.sent_realtime_ns.store(realtime_now_ns(), std::memory_order_relaxed);
        // Relaxed: our poll helper reads it only after it acquired [S1]. Unknown until the id is queued.
        tickets_[index].store(kUnknownTicket, std::memory_order_relaxed);
        const std::uint64_t queued = layout::call_state(generation, CallPhase::queued, tag_, 0);
        // [S1] release, pairs with [S2]'s acquire: a server that takes the call sees its request.
        call.state.store(queued, std::memory_order_release);
        const std::uint64_t sent_id = layout::request_id(generation, index);
        std::uint64_t ticket = 0;
        std::byte bytes[sizeof sent_id];
        std::memcpy(bytes, &sent_id, sizeof sent_id);
        if (const Status status = queue_.try_send(bytes, &ticket); status != Status::ok) {
            // Not queued, so no server can know the id: the slot is still ours alone. [S4] release.
            call.state.store(layout::call_state(generation, CallPhase::free, 0, 0), std::memory_order_release);
            return status;
        }
        // Relaxed: only this client reads it (a word of its own, not the call's line, which a
        // server may be reading by now). Its poll helper may still read the unknown value.
        tickets_[index].store(ticket, std::memory_order_relaxed);
        id = sent_id;
        return Status::ok;
    }

    // Where try_collect looks: the call's state word (every verdict there, however it came), or
    // only the outcome posted on its response line (a waiting client's spin: no reads of the line
    // its server is changing; a verdict not posted waits for its probe, settle_if_gone).
    enum class Look { state, outcome };

    // The response of call `id`, copied into `buffer`; `length` receives its size. again: not
    // answered yet; reset: its server died or closed first; refused: no server was left to take
    // it; too_large: longer than `buffer` (the response is dropped); unknown_request: not a
    // pending call of this client; corrupt: its state or length is garbage.
    Status try_collect(std::uint64_t id, std::span<std::byte> buffer, std::size_t& length, Look look = Look::state) noexcept {
        const std::uint64_t index = layout::request_index(id);
        if (index >= call_count(ring_)) return Status::unknown_request;
        // Acquire, pairs with post_outcome's release: the step it names and the response are visible.
        const std::uint64_t outcome = response_header(ring_, index).outcome.load(std::memory_order_acquire);
        bool freed = false;
        if (is_outcome(outcome) && names(outcome, id)) {
            // Freed only if the state word says the same: a stale or forged post frees nothing.
            const Status status = take_outcome(index, outcome, buffer, length, freed);
            if (freed) return status;
        }
        if (look == Look::outcome) return Status::again;
        std::uint64_t state = 0;
        if (!mine(id, state)) return Status::unknown_request;
        if (is_outcome(state)) return take_outcome(index, state, buffer, length, freed);
        switch (layout::call_phase(state)) {
            case CallPhase::writing:
            case CallPhase::queued:
            case CallPhase::serving:
                return Status::again;
            case CallPhase::abandoned:  // given up already
                return Status::unknown_request;
            default:
                ring_.mark_corrupt();
                return Status::corrupt;
        }
    }

    // Gives call `id` up: its response, if any comes, is dropped. Returns whether that freed its
    // slot (a call being served stays with its server until it answers), or nothing if `id` is
    // not a pending call of this client.
    std::optional<bool> abandon(std::uint64_t id) noexcept {
        std::uint64_t state = 0;
        for (int attempt = 0; attempt < kGiveUpAttempts && mine(id, state); ++attempt) {
            if (!known_phase(state) || layout::call_phase(state) == CallPhase::abandoned) return std::nullopt;
            if (give_up_call(ring_, layout::request_index(id), state, true))
                return layout::call_phase(state) != CallPhase::serving;
        }
        return std::nullopt;
    }

    // Whether a response (or a verdict) of this client's is waiting to be collected: a racy scan,
    // for poll helpers. Acquire, as mine().
    bool has_response() const noexcept {
        for (std::uint64_t i = 0; i < call_count(ring_); ++i) {
            const std::uint64_t state = call_at(ring_, i).state.load(std::memory_order_acquire);
            if (layout::call_client(state) == tag_ && is_outcome(state)) return true;
        }
        return false;
    }

    // Whether call `id` waits for a server that is gone; if so it is settled (reset or refused),
    // and the next try_collect says which. The probe of a waiting client (it makes system calls).
    // A call that ended without its outcome posted (its poster died between the step and the
    // post, or a late post hid it) has it posted again here; that settles nothing (false).
    template <class Servers>
    bool settle_if_gone(std::uint64_t id, const Servers& servers) noexcept {
        std::uint64_t state = 0;
        if (!mine(id, state)) return false;
        if (!is_outcome(state)) return settle_call_if_gone(layout::request_index(id), state, servers);
        post_outcome(ring_, layout::request_index(id), state);
        return false;
    }

    // settle_if_gone for every pending call of this client; true if any was settled. Only CAS
    // steps and repairs: a poll helper thread may call it.
    template <class Servers>
    bool settle_calls_if_gone(const Servers& servers) noexcept {
        bool settled = false;
        for (std::uint64_t i = 0; i < call_count(ring_); ++i) {
            // Acquire, as mine().
            const std::uint64_t state = call_at(ring_, i).state.load(std::memory_order_acquire);
            if (layout::call_client(state) == tag_) settled |= settle_call_if_gone(i, state, servers);
        }
        return settled;
    }

private:
    // The verdict on call `index` of ours, in `state`, when what it waits for is gone:
    //   serving, and its server is dead (by its lease):                        reset
    //   queued, its ticket not taken, and no live server left:                 refused
    //   queued, its ticket taken, and the queue slot handed back or repaired
    //   (every holder dead) with the call still queued: its server died taking it: reset
    // `servers` judges leases (alive(index), any_alive()) and repairs a queue ticket whose
    // holders all died (repair(ticket), mpmc_repair.hpp).
    template <class Servers>
    bool settle_call_if_gone(std::uint64_t index, std::uint64_t state, const Servers& servers) noexcept {
        const auto settle = [&](CallPhase verdict) {
            // A verdict is a server's answer given for it (step_call). A failed CAS means the call
            // moved meanwhile: the next look decides again.
            return step_call(ring_, index, state, layout::call_state(layout::call_generation(state), verdict, tag_, layout::call_server(state)));
        };
        if (layout::call_phase(state) == CallPhase::serving) {
            const std::uint32_t server = layout::call_server(state);
            const bool gone = server == 0 || server > layout::kMaxEndpoints || !servers.alive(server - 1);
            return gone && settle(CallPhase::reset);
        }
        if (layout::call_phase(state) != CallPhase::queued) return false;
        // Relaxed: the caller acquired `state` after [S1], before which it was kUnknownTicket.
        const std::uint64_t ticket = tickets_[index].load(std::memory_order_relaxed);
        if (ticket == kUnknownTicket) return false;  // being queued right now, by our own thread
        // Acquire, pairs with the servers' [C21]: a taken ticket's claims are visible to the repair.
        if (!ticket_taken(ring_.consumer().position.load(std::memory_order_acquire), ticket))
            return !servers.any_alive() && settle(CallPhase::refused);
        // Taken. Held by a live server, or handed back after [S2], or left by a dead one.
        // Acquire, pairs with [R21] in the server's hand_back: a slot handed back comes with [S2]
        // visible (a live server takes the call before handing the slot back).
        if (slot_at(ring_, ticket).sequence.load(std::memory_order_acquire) == slot_full_for(ticket) && !servers.repair(ticket))
            return false;
        // The slot moved on, by its server or by a repair: still queued, the call was taken by a
        // server that died before [S2], and nobody will serve it. (A CAS: if [S2] came after
        // all, it fails.)
        return settle(CallPhase::reset);
    }

private:
    // Whether `state` is of call `id` (its use of the slot) and of this client.
    bool names(std::uint64_t state, std::uint64_t id) const noexcept {
        return layout::call_generation(state) == layout::request_generation(id) && layout::call_client(state) == tag_;
    }

    // [S4] for call `index`, which ended in `state` (answered, reset or refused): the response
    // copied out, then the slot freed by CAS; `freed` says whether the state word was `state`.
    // Only we change a call of ours once it has ended, so the CAS fails only for garbage.
    Status take_outcome(std::uint64_t index, std::uint64_t state, std::span<std::byte> buffer, std::size_t& length, bool& freed) noexcept {
        Status status = layout::call_phase(state) == CallPhase::reset ? Status::reset : Status::refused;
        std::size_t size = 0;
        if (layout::call_phase(state) == CallPhase::answered) {
            // Relaxed: ordered by the acquire of `state` (or of its posted outcome) after [S3].
            size = response_header(ring_, index).length.load(std::memory_order_relaxed);
            status = size > max_response()   ? Status::corrupt
                     : size > buffer.size() ? Status::too_large
                                             : Status::ok;
            // Copied before the slot is freed: until then nobody else may write it.
            if (status == Status::ok && size != 0) std::memcpy(buffer.data(), response_area(ring_, index), size);
        }
        freed = give_up_call(ring_, index, state, true);
        if (!freed) return status;  // the caller looks again: nothing of this counts
        if (status == Status::corrupt) ring_.mark_corrupt();
        if (status == Status::ok) length = size;
        return status;
    }

    // Looks for a free call slot from where the last search ended, and claims it (writing).
    bool claim_free_call(std::uint64_t& index, std::uint64_t& generation) noexcept {
        const std::uint64_t count = call_count(ring_);
        for (std::uint64_t k = 0; k < count; ++k) {
            const std::uint64_t i = hint_ + k < count ? hint_ + k : hint_ + k - count;
            auto& call = call_at(ring_, i);
            // Relaxed: the CAS below decides.
            std::uint64_t state = call.state.load(std::memory_order_relaxed);
            if (layout::call_phase(state) != CallPhase::free) continue;
            std::uint64_t next_generation = (layout::call_generation(state) + 1) & layout::kCallGenerationMask;
            if (next_generation == 0) next_generation = 1;  // no id is 0
            // [S0] acquire, pairs with [S4]: whoever freed the slot is done with its areas.
            if (!call.state.compare_exchange_strong(state, layout::call_state(next_generation, CallPhase::writing, tag_, 0),
                                                    std::memory_order_acquire, std::memory_order_relaxed))
                continue;
            index = i;
            generation = next_generation;
            hint_ = i;  // a client with one call at a time keeps using one slot
            return true;
        }
        return false;
    }

    // Whether `id` names a call of this client in its current use; `state` receives its state.
    bool mine(std::uint64_t id, std::uint64_t& state) const noexcept {
        const std::uint64_t index = layout::request_index(id);
        if (index >= call_count(ring_)) return false;
        // Acquire, pairs with [S3] and the verdicts' release: an answered call's response is visible.
        state = call_at(ring_, index).state.load(std::memory_order_acquire);
        return layout::call_generation(state) == layout::request_generation(id) && layout::call_client(state) == tag_ &&
               layout::call_phase(state) != CallPhase::free;
    }

    // A ticket while the call's id is not queued yet.
    static constexpr std::uint64_t kUnknownTicket = ~std::uint64_t{0};

    RingView ring_;
    MpmcWriter queue_;
    std::uint32_t tag_;
    std::uint64_t hint_ = 0;
    // The request queue ticket each queued call of ours went out with, by call slot: process-local
    // (the segment is no place for what only we read), atomic for our poll helper's reads.
    std::unique_ptr<std::atomic<std::uint64_t>[]> tickets_;
};

// A server's side: takes requests, answers them.
class ResponderProtocol {
public:
    ResponderProtocol(const RingView& ring, SharedAtomic<std::uint64_t>& claim, std::uint32_t index) noexcept
        : ring_(ring), queue_(ring, claim), tag_(endpoint_tag(index)) {}

    const RingView& ring() const noexcept { return ring_; }
    std::size_t max_request() const noexcept { return ring_.geometry().max_request; }
    std::size_t max_response() const noexcept { return ring_.geometry().max_response; }

    // Takes the next pending call. Ids given up while queued are skipped (`skipped` set).
    Request try_take(bool& skipped) noexcept {
        for (;;) {
            bool handed_back = false;
            const View view = queue_.try_peek(layout::kServiceQueueSlotSize, handed_back);
            skipped |= handed_back;
            if (view.status != Status::ok) return {view.status, {}};
            std::uint64_t id = 0;
            if (view.data.size() == sizeof id) std::memcpy(&id, view.data.data(), sizeof id);
            const std::uint64_t index = layout::request_index(id);
            if (view.data.size() != sizeof id || index >= call_count(ring_)) {
                (void)queue_.release();
                return corrupt();
            }
            auto& call = call_at(ring_, index);
            // The request, fetched while [S2] fetches the state word (it is read only after [S2]).
            prefetch_for_read(request_area(ring_, index));
            std::uint64_t state = 0;
            const bool taken = take_call(call, id, state);
            (void)queue_.release();
            if (!taken) {
                skipped = true;  // given up by its client: look at the next
                continue;
            }
            // Relaxed: ordered by [S2].
            const std::uint32_t length = call.request_length.load(std::memory_order_relaxed);
            if (length > max_request()) {
                // Reset for its client, which learns it from the outcome posted (as from a verdict).
                (void)give_up_call(ring_, index, state, false);
                return corrupt();
            }
            return {Status::ok, {request_area(ring_, index), length}, id};
        }
    }

    // The response area of call `id`, served by us: max_response bytes to write the response into
    // before answer(). Empty when the call is not one we serve.
    std::span<std::byte> response_area_of(std::uint64_t id) const noexcept {
        std::uint64_t state = 0;
        if (!serving(id, state)) return {};
        return {response_area(ring_, layout::request_index(id)), max_response()};
    }

    // Answers call `id` with the first `length` bytes of its response area. ok also when its
    // client gave up (the response is dropped and the call freed); unknown_request when it is not
    // a call we serve (answered already, or never ours); too_large above max_response.
    Status answer(std::uint64_t id, std::size_t length) noexcept {
        if (length > max_response()) return Status::too_large;
        std::uint64_t state = 0;
        if (!serving(id, state)) return Status::unknown_request;
        const std::uint64_t index = layout::request_index(id);
        // Relaxed: published by [S3] and the post after it.
        response_header(ring_, index).length.store(static_cast<std::uint32_t>(length), std::memory_order_relaxed);
        for (;;) {
            if (layout::call_phase(state) == CallPhase::abandoned) {
                if (give_up_call(ring_, index, state, false)) return Status::ok;
            } else {
                // [S3], then its post (step_call): the response is visible to a client that sees either.
                const std::uint64_t answered =
                    layout::call_state(layout::call_generation(state), CallPhase::answered, layout::call_client(state), tag_);
                if (step_call(ring_, index, state, answered)) return Status::ok;
            }
            if (!serving(id, state)) return Status::unknown_request;  // cannot happen: only we end a call we serve
        }
    }

    // A racy look, from any thread, at whether a request id is queued (poll helpers).
    bool has_request() const noexcept { return mpmc_has_data(ring_); }

    bool claim_open() const noexcept { return queue_.claim_open(); }

private:
    // [S2] for call `id`, whose queue ticket we hold: queued -> serving, by us. `state` receives
    // the state taken (or the one that stopped us). The first CAS expects the last client served:
    // a CAS fetches the call's line once where a load and then a CAS fetch it twice, and when the
    // guess is wrong it returns the state it found, which the second CAS expects.
    bool take_call(layout::CallHeader& call, std::uint64_t id, std::uint64_t& state) noexcept {
        state = layout::call_state(layout::request_generation(id), CallPhase::queued, last_client_, 0);
        for (int attempt = 0; attempt < 2; ++attempt) {
            const bool queued = layout::call_phase(state) == CallPhase::queued &&
                                layout::call_generation(state) == layout::request_generation(id) && layout::call_server(state) == 0;
            if (!queued) return false;  // given up by its client (or garbage)
            const std::uint64_t serving = layout::call_state(layout::call_generation(state), CallPhase::serving, layout::call_client(state), tag_);
            // [S2] acquire, pairs with [S1]: the request is visible. Release: with the queue slot's
            // hand-back after it ([R21]), a client that sees the slot handed back sees this.
            if (call.state.compare_exchange_strong(state, serving, std::memory_order_acq_rel, std::memory_order_relaxed)) {
                last_client_ = layout::call_client(state);
                state = serving;
                return true;
            }
        }
        return false;
    }

    // Whether `id` is a call we serve, in its current use (serving, or abandoned by its client).
    bool serving(std::uint64_t id, std::uint64_t& state) const noexcept {
        const std::uint64_t index = layout::request_index(id);
        if (index >= call_count(ring_)) return false;
        // Relaxed: only this server changes a call it serves, but for its client's give-up, which
        // the CAS in answer() sees.
        state = call_at(ring_, index).state.load(std::memory_order_relaxed);
        const CallPhase phase = layout::call_phase(state);
        return layout::call_generation(state) == layout::request_generation(id) && layout::call_server(state) == tag_ &&
               (phase == CallPhase::serving || phase == CallPhase::abandoned);
    }

    Request corrupt() noexcept {
        ring_.mark_corrupt();
        return {Status::corrupt, {}};
    }

    RingView ring_;
    MpmcReader queue_;
    std::uint32_t tag_;
    std::uint32_t last_client_ = 0;  // the client tag of the last call taken: take_call's guess
};

}  // namespace shmring::detail
