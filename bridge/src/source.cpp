#include "source.hpp"

#include "shmring/ring_segment.hpp"
#include "mpmc_source.hpp"
#include "spsc_source.hpp"
#include "topic_source.hpp"

namespace shmring::bridge::detail {

Hello hello_for(const RingView& ring, std::uint64_t start, std::uint64_t epoch) {
    const RingGeometry& g = ring.geometry();
    const bool topic = g.engine == layout::Engine::topic;
    Hello hello{};
    hello.head = frame_head(FrameType::hello);
    hello.engine = static_cast<std::uint32_t>(g.engine);
    hello.kind = static_cast<std::uint32_t>(g.kind);
    hello.stream = ring.header().created_realtime_ns;
    hello.start = start;
    hello.epoch = epoch;
    hello.capacity = g.capacity;
    hello.max_messages = g.max_messages;
    hello.slot_size = g.slot_size;
    hello.max_message = topic ? g.slot_size : g.max_message;
    hello.policy = topic ? static_cast<std::uint32_t>(g.topic_policy) : 0;
    return hello;
}

Result<std::unique_ptr<Source>> attach_source(const std::string& name) {
    EndpointOptions options;
    auto ring = RingSegment::open(name, Access::read_write, {}, options.segment);
    if (!ring) return ring.error();
    switch (ring->geometry().engine) {
        case layout::Engine::spsc: return SpscSource::attach(std::move(*ring));
        case layout::Engine::mpmc: return MpmcSource::attach(std::move(*ring));
        case layout::Engine::topic: return TopicSource::attach(std::move(*ring));
        default: break;
    }
    return Error(Errc::wrong_kind, "ring '" + name + "': a bridge sends from pipes, queues and topics");
}

}  // namespace shmring::bridge::detail
