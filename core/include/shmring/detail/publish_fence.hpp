// Internal. The store-load barrier of the wake-up handshake, made asymmetric.
//
// Every publish needs a full barrier between storing its position and looking for sleepers ([F1]
// in wait_loop.hpp). On x86 that is a locked instruction that waits for the store to reach the
// line the peer is reading: about 90 ns a message, more than the rest of a send. Sleeping is rare
// and already costs a system call, so the cost can move there: a process registered with
// membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) publishes with a compiler-only fence, and a
// sleeper that may face such publishers (its event's light_publishers mask is not 0) calls
// membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED) after its own fence [F2], which puts a full barrier
// into every running thread of every registered process. That barrier lands in the publisher
// either before its look for sleepers (which then sees the sleeper's bit) or after it (and then
// drains the publishing store, which the sleeper's re-check sees): the argument of [F1]/[F2] with
// the publisher's fence supplied by the kernel, as in userspace RCU.
//
// That trade only pays while sleeping is rare. A stream paced slower than the spin window puts the
// sleeper to sleep on every message, and a membarrier (an interrupt on every other CPU) per sleep
// costs more CPU than the publisher's fences it saves. So each publisher chooses per event
// (PublishFence): light, with its bit in the event's light_publishers, while it finds nobody
// asleep there; full from the publish that finds a sleeper, its bit cleared, until
// kQuietPublishesBeforeLight publishes in a row have found nobody. A paced stream then runs on full
// fences and sleepers skip the membarrier; a busy one runs light. The switches, and why neither
// loses a wake-up (verify/light_fence.pml checks them under x86's store buffers):
//
//   [L1] going light: bit set (seq_cst RMW), then [F0] a full fence, then light publishes. A
//        sleeper that read the mask without our bit read it before L1 (coherence), after its own
//        [F2]: so [F2] precedes [F0] in the fences' total order, and every look for sleepers after
//        [F0] sees the sleeper's bit ([W1] precedes [F2]). It is woken like any other.
//   [L2] going full: bit cleared (seq_cst RMW) by the publish that found a sleeper, before it
//        wakes anyone. A sleeper that reads the mask ([H], acquire) without our bit reads the
//        clear or a later change of the mask (all RMWs, one release sequence), so every light
//        publish of ours before the clear happens before its re-check [W3], which sees it.
//   A publisher that detaches clears its bit like [L2]. One that dies with its bit set leaves it
//   until the next owner of its endpoint entry clears it (the Endpoint constructor): until then
//   sleepers on that event pay the barrier, which costs time, never a wake-up.
#pragma once

#include <atomic>
#include <cstdint>

#include "shmring/layout.hpp"

namespace shmring::detail {

// True when this process may publish with a compiler-only fence: it registered for global
// expedited membarrier (once, on first use).
bool light_publisher_fence() noexcept;

// A full barrier in every running thread of every registered process; false if the kernel refuses.
bool heavy_barrier() noexcept;

// How one publisher fences its publishes on one event: [F1] in notify (wait_loop.hpp).
class PublishFence {
public:
    // Enough quiet publishes that a stream busy enough to keep its consumer awake soon runs light,
    // few enough that a paced stream pays the full fence (tens of ns) only while it speeds up.
    static constexpr std::uint32_t kQuietPublishesBeforeLight = 1024;

    PublishFence() = default;
    // `bit` is the publisher's endpoint bit; `light_allowed` whether this process may publish light.
    PublishFence(std::uint64_t bit, bool light_allowed) noexcept : bit_(bit), light_allowed_(light_allowed) {}

    // [F1], between the caller's publishing store and its look for sleepers.
    void before_look() const noexcept {
        // Light: only the compiler is held back; the CPU's barrier comes from a sleeper's [H].
        if (light_) {
            std::atomic_signal_fence(std::memory_order_seq_cst);
        } else {
            std::atomic_thread_fence(std::memory_order_seq_cst);
        }
    }

    // After the look: `found_sleepers` says what it found. Switches as the header says.
    void after_look(layout::WaitEvent& event, bool found_sleepers) noexcept {
        if (found_sleepers) {
            quiet_ = 0;
            leave_light(event);
            return;
        }
        if (light_ || !light_allowed_ || ++quiet_ < kQuietPublishesBeforeLight) return;
        // [L1] seq_cst, and [F0] seq_cst: see the header.
        event.light_publishers.fetch_or(bit_, std::memory_order_seq_cst);
        std::atomic_thread_fence(std::memory_order_seq_cst);
        light_ = true;
    }

    // Stops publishing light on `event` (a detach): [L2].
    void leave_light(layout::WaitEvent& event) noexcept {
        if (!light_) return;
        // [L2] seq_cst (release at least), pairs with [H] in wait_after_miss.
        event.light_publishers.fetch_and(~bit_, std::memory_order_seq_cst);
        light_ = false;
    }

private:
    std::uint64_t bit_ = 0;
    bool light_allowed_ = false;
    bool light_ = false;
    std::uint32_t quiet_ = 0;
};

}  // namespace shmring::detail
