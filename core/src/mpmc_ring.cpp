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

}  // namespace shmring
