// shmring's MPMC ring, one per direction, used by one producer and one consumer through the copy
// API: what the general-purpose ring costs where an SPSC ring would do.
#include <bit>

#include "harness/sizes.hpp"
#include "shmring/mpmc_ring.hpp"
#include "transports/make_channel.hpp"
#include "transports/shmring_rings.hpp"

namespace shmring::bench {

namespace {

// As many slots of the message size as the buffer budget holds, a power of two, at least 2.
std::uint64_t mpmc_slots(const ChannelConfig& config) {
    const std::uint64_t fit = config.buffer_bytes / layout::slot_stride_for(config.message_size);
    return std::clamp<std::uint64_t>(std::bit_floor(std::max<std::uint64_t>(fit, 1)), 2, layout::kMaxMpmcSlots);
}

class MpmcChannel : public Channel {
public:
    explicit MpmcChannel(const ChannelConfig& config) : config_(config), rings_(config) {}

    Outcome make() {
        const std::uint64_t slots = mpmc_slots(config_);
        const auto slot_size = static_cast<std::uint32_t>(config_.message_size);
        return rings_.create([&](const std::string& name) { return create_mpmc_ring(name, slots, slot_size); });
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const EndpointOptions options = attach_options(config_.mode);
        auto producer = MpmcProducer::attach(rings_.outgoing(side), options);
        if (!producer) return producer.error();
        auto consumer = MpmcConsumer::attach(rings_.incoming(side), options);
        if (!consumer) return consumer.error();
        return std::unique_ptr<ChannelEnd>(new CopyChannelEnd<MpmcProducer, MpmcConsumer>(std::move(*producer), std::move(*consumer),
                                                          to_deadline(config_.deadline_ns), config_.message_size));
    }

private:
    ChannelConfig config_;
    RingPair rings_;
};

}  // namespace

void register_shmring_mpmc(Registry& registry) {
    registry.add({.name = "shmring-mpmc",
                  .description = "shmring MPMC ring with one producer and one consumer, copy API",
                  .modes = {WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::paced},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<MpmcChannel>});
}

}  // namespace shmring::bench
