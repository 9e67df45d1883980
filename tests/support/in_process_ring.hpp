// Test support: a ring formatted in this process's memory, for the protocol tests. No /dev/shm
// object, no registry or wake-ups: only the bytes the protocols read and write.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>

#include "shmring/ring_view.hpp"

namespace shmring::testing {

class InProcessRing {
public:
    explicit InProcessRing(const RingConfig& config) {
        const auto size = ring_total_size(config, "in-process");
        EXPECT_TRUE(size) << size.error().message();
        if (!size) return;
        // Zeroed, and aligned as a mapping would be: every block's atomics are naturally aligned.
        memory_.reset(static_cast<std::byte*>(std::aligned_alloc(4096, (*size + 4095) / 4096 * 4096)));
        std::memset(memory_.get(), 0, *size);
        const auto geometry = format_ring(memory_.get(), config, "in-process");
        EXPECT_TRUE(geometry) << geometry.error().message();
        if (geometry) view_ = RingView(memory_.get(), *geometry);
    }

    static InProcessRing spsc(std::uint64_t capacity) {
        RingConfig config;
        config.engine = layout::Engine::spsc;
        config.capacity = capacity;
        return InProcessRing(config);
    }
    static InProcessRing mpmc(std::uint64_t slots, std::uint32_t slot_size) {
        RingConfig config;
        config.engine = layout::Engine::mpmc;
        config.capacity = slots;
        config.slot_size = slot_size;
        return InProcessRing(config);
    }

    // A topic of `slots` slots holding a subscriber at most `capacity` messages behind (lossless).
    static InProcessRing topic(std::uint64_t slots, std::uint32_t slot_size, layout::TopicPolicy policy, std::uint64_t capacity = 0) {
        RingConfig config;
        config.engine = layout::Engine::topic;
        config.capacity = slots;
        config.slot_size = slot_size;
        config.max_messages = capacity != 0 ? capacity : slots;
        config.topic_policy = policy;
        return InProcessRing(config);
    }

    const RingView& view() const { return view_; }
    bool marked_corrupt() const { return view_.control().corrupt.load(std::memory_order_relaxed) != 0; }

private:
    struct Free {
        void operator()(std::byte* p) const { std::free(p); }
    };
    std::unique_ptr<std::byte, Free> memory_;
    RingView view_;
};

}  // namespace shmring::testing
