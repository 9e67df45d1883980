#include "shmring/mpmc_ring.hpp"

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
    return MpmcConsumer(std::move(*endpoint));
}

Result<MpmcHolder> MpmcHolder::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<MpmcHolder>(name, layout::Engine::mpmc, options);
}

Result<MpmcHolder> MpmcHolder::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::consumer, layout::Engine::mpmc, options);
    if (!endpoint) return endpoint.error();
    const RingSegment& segment = endpoint->ring();
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        if (i == endpoint->index()) continue;
        const auto& entry = segment.endpoint(i);
        // Acquire, pairs with [R3] in attach: the entry's fields are those of its current owner.
        const std::uint64_t state = entry.state.load(std::memory_order_acquire);
        if (entry.role.load(std::memory_order_relaxed) != static_cast<std::uint32_t>(layout::EndpointRole::consumer)) continue;
        const Presence presence = entry_presence(segment, i, state);
        // A dead consumer's open take is repaired (its message counted lost) before the holder
        // looks for held slots, so that a repair cannot free one under it.
        if (presence == Presence::dead && !detail::claim_settled(segment, entry)) {
            const std::uint64_t taken = entry.claim.load(std::memory_order_relaxed) - 1;
            (void)detail::repair_unreleased(segment, *endpoint, taken + segment.geometry().capacity);
        }
        if (presence == Presence::alive || (presence == Presence::dead && !detail::claim_settled(segment, entry)))
            return Error(Errc::busy, "ring '" + std::string(segment.name()) + "': another consumer (pid " +
                                         std::to_string(entry.pid.load(std::memory_order_relaxed)) +
                                         ") is attached; a holding consumer must be the ring's only one");
    }
    return MpmcHolder(std::move(*endpoint));
}

}  // namespace shmring
