#include "shmring/endpoint.hpp"

#include <climits>
#include <optional>
#include <ctime>

#include "shmring/detail/futex.hpp"
#include "shmring/detail/mpmc_repair.hpp"
#include "shmring/detail/publish_fence.hpp"
#include "shmring/detail/reassign.hpp"
#include "shmring/detail/service_protocol.hpp"
#include "shmring/detail/topic_protocol.hpp"

namespace shmring {

namespace {

using layout::EndpointStatus;

std::uint64_t realtime_ns() {
    timespec ts{};
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000U + static_cast<std::uint64_t>(ts.tv_nsec);
}

// Moves an entry's counters into the ring's totals for its role. Called by the owner on detach, or
// by the process that reclaims a dead owner's entry: either way by the entry's only writer.
void retire_counters(const RingSegment& ring, layout::EndpointEntry& entry) noexcept {
    auto& control = ring.control();
    // Relaxed: counters are statistics; the tool reads them racily and says so.
    const auto role = static_cast<layout::EndpointRole>(entry.role.load(std::memory_order_relaxed));
    layout::Counters* totals = role == layout::EndpointRole::producer   ? &control.retired_producers
                               : role == layout::EndpointRole::consumer ? &control.retired_consumers
                                                                        : nullptr;
    auto move = [&](SharedAtomic<std::uint64_t> layout::Counters::*field) {
        const std::uint64_t value = (entry.counters.*field).exchange(0, std::memory_order_relaxed);
        if (totals != nullptr) (totals->*field).fetch_add(value, std::memory_order_relaxed);
    };
    move(&layout::Counters::messages);
    move(&layout::Counters::bytes);
    move(&layout::Counters::full);
    move(&layout::Counters::empty);
    move(&layout::Counters::sleeps);
    move(&layout::Counters::wakes);
}

// A dead owner may have died asleep: its bits in the sleeper masks would make every publisher
// enter the kernel for ever. Only the process that reclaimed the entry calls this. (Its bits in the
// light publishers' masks are cleared by the entry's next owner: see the Endpoint constructor.)
void forget_sleeper(const RingSegment& ring, std::uint32_t index) noexcept {
    const std::uint64_t keep = ~(std::uint64_t{1} << index);
    for (layout::WaitEvent* event : {&ring.data_event(), &ring.space_event()}) {
        // Relaxed: hints to publishers, as in wait_after_miss's [W5].
        event->sleepers.fetch_and(keep, std::memory_order_relaxed);
        event->helper_sleepers.fetch_and(keep, std::memory_order_relaxed);
    }
}

}  // namespace

Presence entry_presence(const RingSegment& ring, std::uint32_t index, std::uint64_t state) noexcept {
    // Acquire, after a free lease: pairs with the owner's release of `state` in detach, made
    // before it dropped the lease (lease.hpp: the kernel orders the drop before our look).
    return entry_presence(ring.segment().fd(), index, state,
                          [&] { return ring.endpoint(index).state.load(std::memory_order_acquire); });
}

Presence role_holder_presence(const RingSegment& ring, std::uint64_t word) noexcept {
    if (word == 0) return Presence::absent;
    const std::uint32_t index = layout::role_index(word);
    if (index >= layout::kMaxEndpoints) return Presence::absent;  // garbage: nobody holds it
    // [A3] acquire, pairs with [R3] in attach: the entry's fields are complete.
    const std::uint64_t state = ring.endpoint(index).state.load(std::memory_order_acquire);
    if (layout::endpoint_generation(state) != layout::role_generation(word)) return Presence::absent;
    return entry_presence(ring, index, state);
}

namespace {

// Takes entry `index` for the caller, who holds its lease (lease.hpp) and read `state` under it:
// free, or owned by a dead process (it holds no lease) whose claims hold nothing up. The CAS makes
// the take exclusive even among threads sharing one open file description (a reaper's). A dead
// owner's counters are retired and its sleeper bits cleared. Returns the entry's new generation.
std::optional<std::uint64_t> take_entry(const RingSegment& ring, std::uint32_t index, std::uint64_t state) noexcept {
    auto& entry = ring.endpoint(index);
    const bool is_free = layout::endpoint_status(state) == EndpointStatus::free;
    if (!is_free && !detail::claim_settled(ring, entry)) return std::nullopt;
    const std::uint64_t generation = layout::endpoint_generation(state) + 1;
    // Acquire: whatever the previous owner wrote is visible before we overwrite it.
    if (!entry.state.compare_exchange_strong(state, layout::endpoint_state(generation, EndpointStatus::claiming),
                                             std::memory_order_acquire, std::memory_order_relaxed))
        return std::nullopt;
    if (!is_free) {
        retire_counters(ring, entry);
        forget_sleeper(ring, index);
    }
    // A dead subscriber (or a stray bit) holds a lossless publisher back no more. Here, under the
    // lease, and not after: the entry's next owner may set its own gating bit. A publisher waiting
    // for it is woken to scan again.
    if (ring.geometry().engine == layout::Engine::topic && detail::topic_ungate(ring, index)) detail::wake_sleepers(ring.space_event());
    // A gone server answers no more, and a gone client collects no more: its calls are settled
    // (reset for their clients, or given up) and everyone waiting looks again.
    if (ring.geometry().engine == layout::Engine::service) {
        // Relaxed: a hint to clients; the calls are settled by CAS.
        ring.control().servers.fetch_and(~(std::uint64_t{1} << index), std::memory_order_relaxed);
        if (detail::settle_calls_of(ring, index)) wake_all_sleepers(ring);
    }
    return generation;
}

}  // namespace

std::uint32_t reap_dead_endpoints(const RingSegment& ring) noexcept {
    std::uint32_t reaped = 0;
    const int fd = ring.segment().fd();
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        // [A3] acquire, pairs with [R3]: a dead owner's fields are complete before we judge them.
        const std::uint64_t state = ring.endpoint(i).state.load(std::memory_order_acquire);
        if (entry_presence(ring, i, state) != Presence::dead || !detail::take_lease(fd, i)) continue;
        // Under the lease nobody else changes the state: read it again, as take_entry requires.
        const std::uint64_t held = ring.endpoint(i).state.load(std::memory_order_acquire);
        if (layout::endpoint_status(held) != EndpointStatus::free) {
            if (const auto generation = take_entry(ring, i, held)) {
                // Release, before the lease is dropped: the next taker sees the counters retired. A
                // CAS, not a store: a thread sharing our open file description may drop the lease
                // early, and an attacher that then took the entry keeps it.
                std::uint64_t claiming = layout::endpoint_state(*generation, EndpointStatus::claiming);
                ring.endpoint(i).state.compare_exchange_strong(claiming, layout::endpoint_state(*generation, EndpointStatus::free),
                                                               std::memory_order_release, std::memory_order_relaxed);
                ++reaped;
            }
        }
        detail::release_lease(fd, i);
    }
    return reaped;
}

Result<Endpoint> Endpoint::attach(RingSegment ring, layout::EndpointRole role) {
    if (!ring.segment().writable()) return Error(Errc::invalid_argument, "ring '" + std::string(ring.name()) + "': opened read-only");
    auto lease = detail::LeaseHolder::open(ring.segment().fd(), Segment::object_name(ring.name()).c_str());
    if (!lease) return lease.error();
    const ProcessIdentity me = current_process();
    // First pass: free entries only. Second pass: also entries whose owner is dead.
    for (int pass = 0; pass < 2; ++pass) {
        for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
            auto& entry = ring.endpoint(i);
            // Relaxed: a hint to skip taken entries in the first pass; the state is read again below.
            if (pass == 0 && layout::endpoint_status(entry.state.load(std::memory_order_relaxed)) != EndpointStatus::free) continue;
            if (!lease->take(i)) continue;  // a live owner, or another attacher, holds it
            // [A3] acquire, pairs with [R3]: a dead owner's fields are complete before we judge them.
            const std::uint64_t state = entry.state.load(std::memory_order_acquire);
            const auto generation = take_entry(ring, i, state);
            if (!generation) {
                lease->drop();
                continue;
            }
            // Relaxed: published by the release store of `state` below.
            entry.role.store(static_cast<std::uint32_t>(role), std::memory_order_relaxed);
            entry.pid.store(me.pid, std::memory_order_relaxed);
            entry.start_time.store(me.start_time, std::memory_order_relaxed);
            entry.pid_namespace.store(me.pid_namespace, std::memory_order_relaxed);
            entry.attached_realtime_ns.store(realtime_ns(), std::memory_order_relaxed);
            entry.claim.store(0, std::memory_order_relaxed);
            entry.cursor.store(0, std::memory_order_relaxed);
            entry.lost.store(0, std::memory_order_relaxed);
            entry.wait_strategy.store(static_cast<std::uint32_t>(WaitStrategy::adaptive), std::memory_order_relaxed);
            // [R3] release, pairs with [A3]: readers of an attached entry see its fields.
            entry.state.store(layout::endpoint_state(*generation, EndpointStatus::attached), std::memory_order_release);
            return Endpoint(std::move(ring), i, *generation, std::move(*lease));
        }
    }
    return Error(Errc::no_endpoint_slot, "ring '" + std::string(ring.name()) + "': " + std::to_string(layout::kMaxEndpoints) + " endpoints attached");
}

Result<Endpoint> Endpoint::attach(RingSegment ring, layout::EndpointRole role, layout::Engine engine, const EndpointOptions& options) {
    if (ring.geometry().engine != engine)
        return Error(Errc::wrong_kind, "ring '" + std::string(ring.name()) + "': engine is " + layout::engine_name(ring.geometry().engine) +
                                           ", not " + layout::engine_name(engine));
    auto endpoint = attach(std::move(ring), role);
    if (!endpoint) return endpoint.error();
    endpoint->set_wait_strategy(options.wait);
    return endpoint;
}

Endpoint::Endpoint(RingSegment ring, std::uint32_t index, std::uint64_t generation, detail::LeaseHolder lease)
    : ring_(std::move(ring)), entry_(&ring_.endpoint(index)), index_(index), generation_(generation), lease_(std::move(lease)) {
    owner_pid_ = current_process().pid;
    fork_generation_ = detail::fork_generation();
    const bool light_allowed = detail::light_publisher_fence();
    const std::uint64_t bit = std::uint64_t{1} << index_;
    // A previous owner of this entry that died publishing light left its bits, which would make
    // every sleeper pay the heavy barrier. Only the entry's owner clears them, never a reaper: a
    // reaper slow between its take and its clear could clear the bit of an endpoint that took the
    // entry meanwhile and publishes light. Release, as [L2]: the dead owner's last publishes, ordered
    // before our take of the entry by the kernel's lease, come with a mask read without its bit.
    for (layout::WaitEvent* event : {&ring_.data_event(), &ring_.space_event()})
        event->light_publishers.fetch_and(~bit, std::memory_order_release);
    data_fence_ = detail::PublishFence(bit, light_allowed);
    space_fence_ = detail::PublishFence(bit, light_allowed);
}

bool Endpoint::owned_by_this_process() const noexcept { return current_process().pid == owner_pid_; }

Outcome Endpoint::take_role(SharedAtomic<std::uint64_t>& word, SharedAtomic<std::uint32_t>& takes, const char* role_name) {
    const std::uint64_t mine = layout::role_word(generation_, index_);
    for (;;) {
        // Acquire: pairs with the release of a previous holder that gave the role back, so that
        // what it wrote into the ring before leaving is visible to its successor.
        std::uint64_t held = word.load(std::memory_order_acquire);
        const Presence holder = role_holder_presence(ring_, held);
        // A dead holder may have died asleep: reap it (and any other dead endpoint) so that its
        // sleeper bits stop costing every publisher a system call.
        if (holder == Presence::dead) reap_dead_endpoints(ring_);
        if (holder == Presence::alive) {
            // Relaxed: for the message only.
            const auto pid = ring_.endpoint(layout::role_index(held)).pid.load(std::memory_order_relaxed);
            return Error(Errc::busy, "ring '" + std::string(ring_.name()) + "': " + role_name + " role held by pid " + std::to_string(pid));
        }
        if (word.compare_exchange_strong(held, mine, std::memory_order_acq_rel, std::memory_order_relaxed)) {
            role_ = &word;
            // [R4] release, pairs with [A4] in pipes: whoever sees this take counted also sees the
            // role word taken (or given back later), so "counted and free" means "came and left".
            takes.fetch_add(1, std::memory_order_release);
            return Ok{};
        }
    }
}

void Endpoint::set_wait_strategy(WaitStrategy strategy) noexcept {
    strategy_ = strategy;
    // Relaxed: informational, for the tool.
    entry_->wait_strategy.store(static_cast<std::uint32_t>(strategy), std::memory_order_relaxed);
}

void Endpoint::detach() noexcept {
    if (entry_ == nullptr || !owned_by_this_process()) return;
    retire_counters(ring_, *entry_);
    // [L2] before the entry is freed: a successor in this entry starts with its bit clear.
    data_fence_.leave_light(ring_.data_event());
    space_fence_.leave_light(ring_.space_event());
    if (role_ != nullptr) {
        std::uint64_t mine = layout::role_word(generation_, index_);
        // Release: a successor that acquires the role sees everything this holder wrote.
        role_->compare_exchange_strong(mine, 0, std::memory_order_release, std::memory_order_relaxed);
    }
    // Release, before the lease is dropped (lease.hpp): a later taker of the entry, or a process that
    // finds the lease free, sees the entry freed and the counters already retired.
    entry_->state.store(layout::endpoint_state(generation_, EndpointStatus::free), std::memory_order_release);
    lease_.drop();
    wake_all_sleepers(ring_);
    entry_ = nullptr;
}

Endpoint& Endpoint::operator=(Endpoint&& other) noexcept { return detail::reassign(*this, std::move(other)); }

Endpoint::~Endpoint() { detach(); }

void wake_all_sleepers(const RingSegment& ring) noexcept {
    detail::wake_sleepers(ring.data_event());
    detail::wake_sleepers(ring.space_event());
}

}  // namespace shmring
