#include "topic_source.hpp"

#include <cstring>

#include "shmring/detail/topic_protocol.hpp"

namespace shmring::bridge::detail {

TopicSource::TopicSource(TopicSubscriber subscriber)
    : subscriber_(std::move(subscriber)), lossless_(shmring::detail::topic_lossless(subscriber_.ring())) {
    subscriber_.hold();
    last_end_ = confirmed();
    copy_.resize(subscriber_.max_message());
    ahead_.store(read_through(), std::memory_order_relaxed);
}

Result<std::unique_ptr<Source>> TopicSource::attach(RingSegment ring) {
    // From the oldest message the topic keeps: a bridge started again resends what its
    // predecessor may not have had confirmed, and the receiver skips what it holds.
    auto subscriber = TopicSubscriber::attach(std::move(ring), {}, TopicStart::oldest);
    if (!subscriber) return subscriber.error();
    return std::unique_ptr<Source>(new TopicSource(std::move(*subscriber)));
}

Hello TopicSource::hello(std::uint64_t epoch) const { return hello_for(subscriber_.ring(), confirmed(), epoch); }

SourceRecord TopicSource::next() noexcept {
    for (;;) {
        const View view = subscriber_.try_peek();
        if (view.status != Status::ok) return {view.status};
        const std::uint64_t end = view.sequence;  // the position after message sequence - 1
        if (lossless_) {
            // Held: the publisher cannot rewrite the slot before the receiver confirms it.
            (void)subscriber_.release();
            ahead_.store(read_through(), std::memory_order_relaxed);
            last_end_ = end;
            return {Status::ok, end, 0, view.data, true};
        }
        // Lossy: copied, then kept only if the publisher did not rewrite it meanwhile.
        std::memcpy(copy_.data(), view.data.data(), view.data.size());
        const bool intact = subscriber_.release() == Status::ok;
        ahead_.store(read_through(), std::memory_order_relaxed);
        if (!intact) continue;
        last_end_ = end;
        return {Status::ok, end, 0, std::span<const std::byte>(copy_.data(), view.data.size()), false};
    }
}

Source::Resume TopicSource::resume_at(std::uint64_t position) noexcept {
    if (static_cast<std::int64_t>(position - confirmed()) < 0) {
        (void)subscriber_.seek(confirmed());
        last_end_ = confirmed();
        ahead_.store(read_through(), std::memory_order_relaxed);
        return Resume::behind;
    }
    if (!subscriber_.seek(position)) return Resume::off_grid;  // past what was published
    last_end_ = position;
    ahead_.store(read_through(), std::memory_order_relaxed);
    return confirm(position) ? Resume::ok : Resume::off_grid;
}

Result<int> TopicSource::poll_fd() {
    const RingView& ring = subscriber_.ring();
    auto ready = [this, ring] { return shmring::detail::topic_message_ready(ring, ahead_.load(std::memory_order_relaxed)); };
    return poll_.get(subscriber_.endpoint(), ring.data_event(), ready, [] { return false; });
}

}  // namespace shmring::bridge::detail
