#include "shmring/spsc_ring.hpp"

namespace shmring {

namespace {

using layout::EndpointRole;

// Attaches `role` and takes its exclusive role word; reads both positions and checks that they
// describe a possible ring (the consumer at most `capacity` bytes behind, both 8-byte aligned).
struct Attached {
    Endpoint endpoint;
    std::uint64_t producer;
    std::uint64_t consumer;
};

Result<Attached> attach_side(RingSegment ring, EndpointRole role, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), role, layout::Engine::spsc, options);
    if (!endpoint) return endpoint.error();
    const RingSegment& r = endpoint->ring();
    auto& word = role == EndpointRole::producer ? r.control().producer_role : r.control().consumer_role;
    const bool producer_side = role == EndpointRole::producer;
    if (auto taken = endpoint->take_role(word, producer_side ? r.control().producer_takes : r.control().consumer_takes,
                                         producer_side ? "producer" : "consumer");
        !taken)
        return taken.error();
    // Acquire, pairs with [R10] and [R11]: the positions and what they publish are visible.
    const std::uint64_t producer = r.producer().position.load(std::memory_order_acquire);
    const std::uint64_t consumer = r.consumer().position.load(std::memory_order_acquire);
    if (!detail::spsc_positions_valid(producer, consumer, r.geometry().capacity) || !detail::spsc_on_record_grid(r.geometry(), producer) ||
        !detail::spsc_on_record_grid(r.geometry(), consumer)) {
        r.mark_corrupt();
        return Error(Errc::corrupt, "ring '" + std::string(r.name()) + "': positions " + std::to_string(consumer) + ".." +
                                        std::to_string(producer) + " out of range");
    }
    return Attached{std::move(*endpoint), producer, consumer};
}

}  // namespace

Outcome create_spsc_ring(std::string_view name, std::uint64_t capacity_bytes, layout::ChannelKind kind, unsigned mode,
                         const SegmentOptions& options) {
    RingConfig config;
    config.engine = layout::Engine::spsc;
    config.kind = kind;
    config.capacity = capacity_bytes;
    config.mode = mode;
    config.options = options;
    auto ring = RingSegment::create(name, config);
    if (!ring) return ring.error();
    return Ok{};
}

Result<SpscProducer> SpscProducer::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<SpscProducer>(name, layout::Engine::spsc, options);
}

Result<SpscProducer> SpscProducer::attach(RingSegment ring, const EndpointOptions& options) {
    auto side = attach_side(std::move(ring), EndpointRole::producer, options);
    if (!side) return side.error();
    return SpscProducer(std::move(side->endpoint), side->producer, side->consumer);
}

Result<SpscConsumer> SpscConsumer::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<SpscConsumer>(name, layout::Engine::spsc, options);
}

Result<SpscConsumer> SpscConsumer::attach(RingSegment ring, const EndpointOptions& options) {
    auto side = attach_side(std::move(ring), EndpointRole::consumer, options);
    if (!side) return side.error();
    return SpscConsumer(std::move(side->endpoint), side->consumer, side->producer);
}

}  // namespace shmring
