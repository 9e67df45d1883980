// Internal. Repairing MPMC slots abandoned by endpoints that died holding a claim.
//
// An endpoint records the ticket it claims in its registry entry before the CAS that takes it
// (mpmc_protocol.hpp, [C21]). So when a slot stays unfinished, anyone can list the endpoints that may
// hold it: those whose claim names its ticket. The slot is abandoned only if there is at least one
// and every one of them is dead (its lease is free, endpoint.hpp); a live endpoint, however
// slow or preempted, is waited for. Repairs take the ring's repair lock, so that two repairers
// never both write a slot, and re-check the slot under it.
//
// Waiting MPMC endpoints call these from their wait loops' probes (every probe interval), as do
// the poll helpers of queues. The non-blocking path never does: it makes no system call (a repair
// tests leases). A caller that only ever tries calls repair_stalled() itself now and then.
#pragma once

#include <cstdint>

#include "shmring/endpoint.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_segment.hpp"

namespace shmring::detail {

// A consumer waits for `ticket`: if the producer that claimed it died before publishing, the slot
// is handed to consumers empty (void) and counted in ControlBlock::lost_messages.
bool repair_unpublished(const RingSegment& ring, const Endpoint& self, std::uint64_t ticket) noexcept;

// A producer waits for `ticket`: if the consumer that took ticket - capacity died before releasing
// the slot, the slot is released and its message counted in lost_messages.
bool repair_unreleased(const RingSegment& ring, const Endpoint& self, std::uint64_t ticket) noexcept;

// A dead endpoint's recorded claim holds nothing up any more, so its entry can be reused.
bool claim_settled(const RingSegment& ring, const layout::EndpointEntry& entry) noexcept;

}  // namespace shmring::detail
