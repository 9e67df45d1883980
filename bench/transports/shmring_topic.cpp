// shmring topics, one per direction, each with its one subscriber: what publish-subscribe costs
// where a point-to-point ring would do (the fan-out to many subscribers is bench/harness/fanout.cpp).
#include <bit>

#include "harness/sizes.hpp"
#include "shmring/topic.hpp"
#include "transports/make_channel.hpp"
#include "transports/shmring_rings.hpp"

namespace shmring::bench {

namespace {

// As many messages of the message size as the buffer budget holds, at least 2 (as the MPMC ring's slots).
std::uint64_t topic_capacity(const ChannelConfig& config) {
    const std::uint64_t fit = config.buffer_bytes / layout::slot_stride_for(config.message_size);
    return std::clamp<std::uint64_t>(std::bit_floor(std::max<std::uint64_t>(fit, 1)), 2, layout::kMaxMpmcSlots);
}

class TopicChannel : public Channel {
public:
    explicit TopicChannel(const ChannelConfig& config) : config_(config), rings_(config) {}

    Outcome make() {
        const std::uint64_t capacity = topic_capacity(config_);
        const auto message_size = static_cast<std::uint32_t>(config_.message_size);
        return rings_.create(
            [&](const std::string& name) { return create_topic(name, capacity, message_size, layout::TopicPolicy::lossless); });
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const EndpointOptions options = attach_options(config_.mode);
        // Subscribers first: a subscriber starts with the next message, so it must be there before
        // the peer publishes. The harness opens both ends before it starts the clock.
        auto subscriber = TopicSubscriber::attach(rings_.incoming(side), options);
        if (!subscriber) return subscriber.error();
        auto publisher = TopicPublisher::attach(rings_.outgoing(side), options);
        if (!publisher) return publisher.error();
        return std::unique_ptr<ChannelEnd>(new CopyChannelEnd<TopicPublisher, TopicSubscriber>(
            std::move(*publisher), std::move(*subscriber), to_deadline(config_.deadline_ns), config_.message_size));
    }

private:
    ChannelConfig config_;
    RingPair rings_;
};

}  // namespace

void register_shmring_topic(Registry& registry) {
    registry.add({.name = "shmring-topic",
                  .description = "shmring lossless topic with one subscriber, one per direction, copy API",
                  .modes = {WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::paced},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<TopicChannel>});
}

}  // namespace shmring::bench
