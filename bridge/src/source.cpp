#include "source.hpp"

#include "shmring/ring_segment.hpp"
#include "spsc_source.hpp"
#include "topic_source.hpp"

namespace shmring::bridge::detail {

Result<std::unique_ptr<Source>> attach_source(const std::string& name) {
    EndpointOptions options;
    auto ring = RingSegment::open(name, Access::read_write, {}, options.segment);
    if (!ring) return ring.error();
    switch (ring->geometry().engine) {
        case layout::Engine::spsc: return SpscSource::attach(std::move(*ring));
        case layout::Engine::topic: return TopicSource::attach(std::move(*ring));
        default: break;
    }
    return Error(Errc::wrong_kind, "ring '" + name + "': a bridge sends from pipes, queues on the SPSC engine and topics");
}

}  // namespace shmring::bridge::detail
