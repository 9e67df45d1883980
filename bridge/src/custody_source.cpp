#include "custody_source.hpp"

#include "shmring/layout.hpp"

namespace shmring::bridge::detail {

Result<std::unique_ptr<CustodySource>> CustodySource::attach(const std::string& ring) {
    auto consumer = SpscConsumer::attach(ring);
    if (!consumer) {
        if (consumer.error().code() == Errc::wrong_kind)
            return Error(Errc::wrong_kind, "ring '" + ring + "': a bridge sends from pipes and queues on the SPSC engine only");
        return consumer.error();
    }
    std::unique_ptr<CustodySource> source(new CustodySource(std::move(*consumer)));
    source->ahead_.store(source->read_through(), std::memory_order_relaxed);
    source->last_record_end_ = source->read_through();
    return source;
}

Hello CustodySource::hello(std::uint64_t epoch) const {
    const RingGeometry& g = consumer_.ring().geometry();
    Hello hello{};
    hello.head = frame_head(FrameType::hello);
    hello.engine = static_cast<std::uint32_t>(g.engine);
    hello.kind = static_cast<std::uint32_t>(g.kind);
    // The creation time names the stream: a ring removed and created again starts a new one.
    hello.stream = consumer_.ring().header().created_realtime_ns;
    hello.start = confirmed();
    hello.epoch = epoch;
    hello.capacity = g.capacity;
    hello.max_messages = g.max_messages;
    hello.slot_size = g.slot_size;
    hello.max_message = g.max_message;
    return hello;
}

View CustodySource::peek() noexcept {
    const View view = consumer_.try_peek();
    // A padding record skipped on the way moved read_through(): without this the poll helper
    // would see it as a record to read, for ever.
    if (view.status == Status::again) ahead_.store(read_through(), std::memory_order_relaxed);
    return view;
}

void CustodySource::take() noexcept {
    consumer_.release(Flush::later);
    last_record_end_ = read_through();
    ahead_.store(last_record_end_, std::memory_order_relaxed);
}

CustodySource::Resume CustodySource::resume_at(std::uint64_t position) noexcept {
    const auto rewound = [this] {
        consumer_.rewind();
        last_record_end_ = read_through();
        ahead_.store(read_through(), std::memory_order_relaxed);
    };
    rewound();
    if (static_cast<std::int64_t>(position - confirmed()) < 0) return Resume::behind;
    while (read_through() != position) {
        const View view = static_cast<std::int64_t>(position - read_through()) < 0 ? View{Status::again, {}} : peek();
        if (view.status == Status::corrupt) return Resume::corrupt;
        if (view.status != Status::ok) {  // past `position`, or short of it: not a record's end
            rewound();
            return Resume::off_grid;
        }
        take();
    }
    return confirm(position) ? Resume::ok : Resume::off_grid;
}

Result<int> CustodySource::poll_fd() {
    const RingView& ring = consumer_.ring();
    // Acquire, pairs with the producer's [R10]: a ready answer comes with the record it announces.
    auto ready = [this, ring] { return ring.producer().position.load(std::memory_order_acquire) != ahead_.load(std::memory_order_relaxed); };
    return poll_.get(consumer_.endpoint(), ring.data_event(), ready, [] { return false; });
}

}  // namespace shmring::bridge::detail
