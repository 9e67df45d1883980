// Internal. The store-load barrier of the wake-up handshake, made asymmetric.
//
// Every publish needs a full barrier between storing its position and looking for sleepers ([F1]
// in wait_loop.hpp). On x86 that is a locked instruction that waits for the store to reach the
// line the peer is reading: about 90 ns a message, more than the rest of a send. Sleeping is rare
// and already costs a system call, so the cost can move there: a process registered with
// membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) publishes with a compiler-only fence, and a
// sleeper that may face such publishers (ControlBlock::light_publishers) calls
// membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) after its own fence [F2], which puts a full barrier
// into every running thread of every registered process. That barrier lands in the publisher
// either before its look for sleepers (which then sees the sleeper's bit) or after it (and then
// drains the publishing store, which the sleeper's re-check sees): the argument of [F1]/[F2] with
// the publisher's fence supplied by the kernel, as in userspace RCU.
#pragma once

namespace shmring::detail {

// True when this process may publish with a compiler-only fence: it registered for global
// expedited membarrier (once, on first use).
bool light_publisher_fence() noexcept;

// A full barrier in every running thread of every registered process; false if the kernel refuses.
bool heavy_barrier() noexcept;

}  // namespace shmring::detail
