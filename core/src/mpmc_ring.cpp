#include "shmring/mpmc_ring.hpp"

namespace shmring {

namespace {

Result<Endpoint> attach_side(RingSegment ring, layout::EndpointRole role, const EndpointOptions& options) {
    if (ring.geometry().engine != layout::Engine::mpmc)
        return Error(Errc::wrong_kind, "ring '" + std::string(ring.name()) + "': not an MPMC ring");
    auto endpoint = Endpoint::attach(std::move(ring), role);
    if (!endpoint) return endpoint.error();
    endpoint->set_wait_strategy(options.wait);
    return endpoint;
}

Result<RingSegment> open_mpmc(std::string_view name, const EndpointOptions& options) {
    return RingSegment::open(name, Access::read_write, {layout::Engine::mpmc, std::nullopt}, options.segment);
}

}  // namespace

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
    auto ring = open_mpmc(name, options);
    if (!ring) return ring.error();
    return attach(std::move(*ring), options);
}

Result<MpmcProducer> MpmcProducer::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = attach_side(std::move(ring), layout::EndpointRole::producer, options);
    if (!endpoint) return endpoint.error();
    return MpmcProducer(std::move(*endpoint));
}

Result<MpmcConsumer> MpmcConsumer::attach(std::string_view name, const EndpointOptions& options) {
    auto ring = open_mpmc(name, options);
    if (!ring) return ring.error();
    return attach(std::move(*ring), options);
}

Result<MpmcConsumer> MpmcConsumer::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = attach_side(std::move(ring), layout::EndpointRole::consumer, options);
    if (!endpoint) return endpoint.error();
    return MpmcConsumer(std::move(*endpoint));
}

}  // namespace shmring
