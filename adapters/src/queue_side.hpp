// Internal. What both sides of a queue share: opening its ring and the poll descriptor's probe.
#pragma once

#include <functional>

#include "shmring/endpoint.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/wait.hpp"

namespace shmring::detail {

// A deadline that has passed already asks only for a try: EAGAIN, not ETIMEDOUT, when it fails.
inline bool only_try(Deadline deadline) noexcept { return deadline != kNoDeadline && deadline <= Clock::now(); }

inline Result<RingSegment> open_queue_ring(std::string_view name, const EndpointOptions& options) {
    return RingSegment::open(name, Access::read_write, {std::nullopt, layout::ChannelKind::queue}, options.segment);
}

// The periodic probe of a queue side's poll helper. Queues have no end of file; an MPMC side's
// probe repairs what a dead peer left in the slot it watches, as a waiting endpoint's would.
template <class Side>
std::function<bool()> queue_poll_probe(const Side& side) {
    return [&side] {
        if constexpr (requires { side.repair_stalled(); }) (void)side.repair_stalled();
        return false;
    };
}

}  // namespace shmring::detail
