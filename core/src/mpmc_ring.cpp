#include "shmring/mpmc_ring.hpp"

#include <chrono>
#include <thread>

namespace shmring {

Outcome create_mpmc_ring(std::string_view name, std::uint64_t slots, std::uint32_t slot_size, layout::ChannelKind kind,
                         unsigned mode, const SegmentOptions& options) {
    RingConfig config;
    config.engine = layout::Engine::mpmc;
    config.kind = kind;
    config.capacity = slots;
    config.slot_size = slot_size;
    config.mode = mode;
    config.options = options;
    auto ring = RingSegment::create(name, config);
    if (!ring) return ring.error();
    return Ok{};
}

Result<MpmcProducer> MpmcProducer::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<MpmcProducer>(name, layout::Engine::mpmc, options);
}

Result<MpmcProducer> MpmcProducer::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::producer, layout::Engine::mpmc, options);
    if (!endpoint) return endpoint.error();
    return MpmcProducer(std::move(*endpoint));
}

Result<MpmcConsumer> MpmcConsumer::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<MpmcConsumer>(name, layout::Engine::mpmc, options);
}

Result<MpmcConsumer> MpmcConsumer::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::consumer, layout::Engine::mpmc, options);
    if (!endpoint) return endpoint.error();
    // [F30] seq_cst, after the entry's publication in attach: a holder that set its mark before we
    // published is seen here; one that sets it later sees our entry (MpmcHolder::attach).
    std::atomic_thread_fence(std::memory_order_seq_cst);
    if (endpoint->ring().control().consumer_role.load(std::memory_order_relaxed) != 0)
        return Error(Errc::busy, "ring '" + std::string(endpoint->ring().name()) +
                                     "': a bridge holds it (shmring bridge send): its messages go to the far side until that bridge "
                                     "leaves with nothing unconfirmed; start it again if it died");
    return MpmcConsumer(std::move(*endpoint));
}

Result<MpmcHolder> MpmcHolder::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<MpmcHolder>(name, layout::Engine::mpmc, options);
}

namespace {

constexpr int kSettleAttempts = 100;  // of a dead consumer's repair, a millisecond apart

// Makes way for a holder: a dead consumer's claim is settled, by the repair that counts its
// taken message lost, or cleared when it names a ticket the consumer never took (it died before
// its CAS), so that no repair can take a held slot for that consumer's. False while a consumer is
// alive.
bool only_holder(const RingSegment& ring, const Endpoint& self) noexcept {
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        if (i == self.index()) continue;
        auto& entry = ring.endpoint(i);
        // Acquire, pairs with [R3] in attach; after the [F30] fences, MpmcConsumer::attach's and
        // ours: it publishes its entry and then looks at the mark, we publish the mark and then
        // look at the entries, so one of the two sees the other.
        const std::uint64_t state = entry.state.load(std::memory_order_acquire);
        if (entry.role.load(std::memory_order_relaxed) != static_cast<std::uint32_t>(layout::EndpointRole::consumer)) continue;
        const Presence presence = entry_presence(ring, i, state);
        if (presence == Presence::alive) return false;
        if (presence != Presence::dead) continue;
        // Relaxed: a dead entry's claim changes only by repairs, which re-check under their lock.
        std::uint64_t claim = entry.claim.load(std::memory_order_relaxed);
        if (claim == 0) continue;
        // A producer may hold the repair lock for this very slot: once it sees our mark it gives
        // the repair up, and ours, tried again, succeeds.
        for (int attempt = 0; attempt < kSettleAttempts && !detail::claim_settled(ring, entry); ++attempt) {
            if (detail::repair_unreleased(ring, self, claim - 1 + ring.geometry().capacity)) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        if (!detail::claim_settled(ring, entry)) return false;
        // Settled, and our mark keeps it so: the claim names a ticket the consumer never took.
        entry.claim.compare_exchange_strong(claim, 0, std::memory_order_relaxed, std::memory_order_relaxed);
    }
    return true;
}

}  // namespace

Result<MpmcHolder> MpmcHolder::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::consumer, layout::Engine::mpmc, options);
    if (!endpoint) return endpoint.error();
    const RingSegment& segment = endpoint->ring();
    auto& mark = segment.control().consumer_role;
    // Acquire, pairs with the release of a holder that cleared it: its hand-backs come with it.
    std::uint64_t held = mark.load(std::memory_order_acquire);
    if (held != 0 && role_holder_presence(segment, held) == Presence::alive)
        return Error(Errc::busy, "ring '" + std::string(segment.name()) + "': another bridge holds it (pid " +
                                     std::to_string(segment.endpoint(layout::role_index(held)).pid.load(std::memory_order_relaxed)) + ")");
    // [F30] seq_cst (see only_holder). A holder that died or left holding passes its custody on.
    if (!mark.compare_exchange_strong(held, endpoint->role_word(), std::memory_order_seq_cst, std::memory_order_relaxed))
        return Error(Errc::busy, "ring '" + std::string(segment.name()) + "': another bridge took it at the same moment");
    std::atomic_thread_fence(std::memory_order_seq_cst);  // [F30], as MpmcConsumer::attach's
    if (!only_holder(segment, *endpoint)) {
        std::uint64_t mine = endpoint->role_word();
        // Relaxed: gives back what the CAS above took; nothing was held meanwhile.
        mark.compare_exchange_strong(mine, held, std::memory_order_relaxed, std::memory_order_relaxed);
        return Error(Errc::busy, "ring '" + std::string(segment.name()) +
                                     "': another consumer is attached; a holding consumer must be the ring's only one");
    }
    return MpmcHolder(std::move(*endpoint));
}

MpmcHolder::~MpmcHolder() {
    if (!marked_ || !protocol_.holds_nothing() || !endpoint_.owned_by_this_process()) return;
    std::uint64_t mine = endpoint_.role_word();
    // Release, pairs with the acquire in attach (of a holder or a consumer): the hand-backs before it.
    ring().control().consumer_role.compare_exchange_strong(mine, 0, std::memory_order_release, std::memory_order_relaxed);
}

}  // namespace shmring
