#include "shmring/topic.hpp"

#include <bit>

namespace shmring {

Outcome create_topic(std::string_view name, std::uint64_t capacity, std::uint32_t max_message, layout::TopicPolicy policy,
                     unsigned mode, const SegmentOptions& options) {
    if (policy != layout::TopicPolicy::lossless && policy != layout::TopicPolicy::lossy)
        return Error(Errc::invalid_argument, "topic '" + std::string(name) + "': unknown policy");
    // A lossy topic keeps a slot more than its capacity: the oldest slot may be being rewritten.
    const bool lossy = policy == layout::TopicPolicy::lossy;
    const std::uint64_t most = lossy ? layout::kMaxMpmcSlots - 1 : layout::kMaxMpmcSlots;
    if (capacity == 0 || capacity > most)
        return Error(Errc::invalid_argument,
                     "topic '" + std::string(name) + "': capacity must be 1 to " + std::to_string(most) + " messages");
    RingConfig config;
    config.engine = layout::Engine::topic;
    config.capacity = std::bit_ceil(lossy ? capacity + 1 : capacity);
    config.slot_size = max_message;
    config.max_messages = capacity;
    config.topic_policy = policy;
    config.mode = mode;
    config.options = options;
    auto ring = RingSegment::create(name, config);
    if (!ring) return ring.error();
    return Ok{};
}

Result<TopicPublisher> TopicPublisher::attach(std::string_view name, const EndpointOptions& options) {
    return attach_by_name<TopicPublisher>(name, layout::Engine::topic, options);
}

Result<TopicPublisher> TopicPublisher::attach(RingSegment ring, const EndpointOptions& options) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::producer, layout::Engine::topic, options);
    if (!endpoint) return endpoint.error();
    auto& control = endpoint->ring().control();
    if (auto taken = endpoint->take_role(control.producer_role, control.producer_takes, "publisher"); !taken) return taken.error();
    TopicPublisher publisher(std::move(*endpoint));
    if (publisher.writer_.resume() != Status::ok)
        return Error(Errc::corrupt, "topic '" + std::string(publisher.ring().name()) +
                                        "': the publisher's position contradicts its limit or the slots");
    // A predecessor that died between completing a message and its wake-up leaves subscribers
    // asleep with the message there: wake them to look.
    wake_all_sleepers(publisher.ring());
    return publisher;
}

bool TopicPublisher::has_dead_subscriber() const noexcept {
    // Acquire, as topic_slowest_lag's look at the mask.
    std::uint64_t mask = ring().consumer().gating.load(std::memory_order_acquire);
    while (mask != 0) {
        const auto index = static_cast<std::uint32_t>(std::countr_zero(mask));
        mask &= mask - 1;
        // [A3] acquire, pairs with [R3] in Endpoint::attach.
        const std::uint64_t state = ring().endpoint(index).state.load(std::memory_order_acquire);
        if (entry_presence(ring(), index, state) == Presence::dead) return true;
    }
    return false;
}

bool TopicPublisher::reap_dead_subscribers() const noexcept {
    // Reaping reclaims each dead entry under its lease, which ungates it (topic_ungate).
    return has_dead_subscriber() && reap_dead_endpoints(ring()) != 0;
}

Result<TopicSubscriber> TopicSubscriber::attach(std::string_view name, const EndpointOptions& options, TopicStart start) {
    return attach_by_name<TopicSubscriber>(name, layout::Engine::topic, options, start);
}

Result<TopicSubscriber> TopicSubscriber::attach(RingSegment ring, const EndpointOptions& options, TopicStart start) {
    auto endpoint = Endpoint::attach(std::move(ring), layout::EndpointRole::consumer, layout::Engine::topic, options);
    if (!endpoint) return endpoint.error();
    TopicSubscriber subscriber(std::move(*endpoint), start);
    if (!subscriber.joined_)
        return Error(Errc::corrupt, "topic '" + std::string(subscriber.ring().name()) + "': the publisher's limit is past its position");
    return subscriber;
}

TopicSubscriber::TopicSubscriber(Endpoint endpoint, TopicStart start)
    : endpoint_(std::move(endpoint)),
      reader_(endpoint_.ring(), endpoint_.entry().cursor, endpoint_.entry().lost, std::uint64_t{1} << endpoint_.index()) {
    joined_ = reader_.join(start) == Status::ok;
    // [J5] A publisher whose round saw this subscriber's start before [J4] raised it waits for
    // that cursor: wake it (notify's fence orders the raised cursor before the wake-up).
    if (joined_ && detail::topic_lossless(ring())) endpoint_.notify(ring().space_event());
}

TopicSubscriber::~TopicSubscriber() {
    // The endpoint's detach, after this, wakes the publisher to look at the mask again.
    if (joined_ && endpoint_.owned_by_this_process()) reader_.leave();
}

}  // namespace shmring
