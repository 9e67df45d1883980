#include "spsc_source.hpp"

#include "shmring/layout.hpp"

namespace shmring::bridge::detail {

SpscSource::SpscSource(SpscConsumer consumer) noexcept : consumer_(std::move(consumer)) { rewound(); }

Result<std::unique_ptr<Source>> SpscSource::attach(RingSegment ring) {
    auto consumer = SpscConsumer::attach(std::move(ring));
    if (!consumer) return consumer.error();
    return std::unique_ptr<Source>(new SpscSource(std::move(*consumer)));
}

Hello SpscSource::hello(std::uint64_t epoch) const { return hello_for(consumer_.ring(), confirmed(), epoch); }

SourceRecord SpscSource::next() noexcept {
    const View view = consumer_.try_peek();
    if (view.status != Status::ok) {
        // A padding record skipped on the way moved read_through(): without this the poll helper
        // would see it as a record to read, for ever.
        if (view.status == Status::again) ahead_.store(read_through(), std::memory_order_relaxed);
        return {view.status};
    }
    // Released without a flush: the record stays where it is, its room kept until confirmed.
    consumer_.release(Flush::later);
    ahead_.store(read_through(), std::memory_order_relaxed);
    return {Status::ok, read_through(), view.type, view.data, true};
}

void SpscSource::rewound() noexcept {
    consumer_.rewind();
    ahead_.store(read_through(), std::memory_order_relaxed);
}

Source::Resume SpscSource::resume_at(std::uint64_t position) noexcept {
    rewound();
    if (static_cast<std::int64_t>(position - confirmed()) < 0) return Resume::behind;
    while (read_through() != position) {
        const SourceRecord record = static_cast<std::int64_t>(position - read_through()) < 0 ? SourceRecord{Status::again} : next();
        if (record.status == Status::corrupt) return Resume::corrupt;
        if (record.status != Status::ok) {  // past `position`, or short of it: not a record's end
            rewound();
            return Resume::off_grid;
        }
    }
    return confirm(position) ? Resume::ok : Resume::off_grid;
}

Result<int> SpscSource::poll_fd() {
    const RingView& ring = consumer_.ring();
    // Acquire, pairs with the producer's [R10]: a ready answer comes with the record it announces.
    auto ready = [this, ring] { return ring.producer().position.load(std::memory_order_acquire) != ahead_.load(std::memory_order_relaxed); };
    return poll_.get(consumer_.endpoint(), ring.data_event(), ready, [] { return false; });
}

}  // namespace shmring::bridge::detail
