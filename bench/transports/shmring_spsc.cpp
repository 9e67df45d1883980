// shmring's SPSC ring, one per direction, through the two APIs a user would pick:
//   shmring-spsc     the copy API: send() from the caller's buffer, receive() into it.
//   shmring-spsc-zc  zero copy: the message is built in the ring (claim/commit) and checked in
//                    place (peek/release); both sides publish their position once per batch
//                    (Flush::later), and at once whenever they are about to wait.
#include <bit>

#include "harness/sizes.hpp"
#include "shmring/spsc_ring.hpp"
#include "transports/make_channel.hpp"
#include "transports/shmring_rings.hpp"

namespace shmring::bench {

namespace {

// The buffer budget, and at least room for the largest message (a record of up to half the ring).
std::uint64_t spsc_capacity(const ChannelConfig& config) {
    const std::uint64_t least = 2 * layout::record_size(config.message_size);
    return std::bit_ceil(std::max<std::uint64_t>({config.buffer_bytes, least, layout::kMinSpscCapacity}));
}

class ZeroCopyChannelEnd : public ChannelEnd {
public:
    ZeroCopyChannelEnd(SpscProducer producer, SpscConsumer consumer, Deadline deadline)
        : producer_(std::move(producer)), consumer_(std::move(consumer)), deadline_(deadline),
          batch_bytes_(producer_.ring().geometry().capacity / 16) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        Loan claim = producer_.try_claim(size);
        if (claim.status == Status::again) {
            producer_.flush();  // the consumer cannot make room for records it has not been shown
            claim = producer_.claim(size, deadline_);
        }
        if (claim.status != Status::ok) return fail_status("SpscProducer::claim", claim.status);
        buffer = claim.data;
        claimed_ = size;
        unpublished_ += layout::record_size(size);
        return true;
    }
    bool end_send() override {
        producer_.commit(claimed_, 0, Flush::later);
        if (unpublished_ >= batch_bytes_) flush();
        return true;
    }
    bool flush() override {
        producer_.flush();
        unpublished_ = 0;
        return true;
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        View record = consumer_.try_peek();
        if (record.status == Status::again) {
            publish_released();  // the producer may be waiting for the space we hold back
            record = consumer_.peek(deadline_);
        }
        if (record.status != Status::ok) return fail_status("SpscConsumer::peek", record.status);
        message = record.data;
        unreleased_ += layout::record_size(record.data.size());
        return true;
    }
    bool end_receive() override {
        consumer_.release(Flush::later);
        if (unreleased_ >= batch_bytes_) publish_released();
        return true;
    }

private:
    void publish_released() {
        consumer_.flush();
        unreleased_ = 0;
    }

    SpscProducer producer_;
    SpscConsumer consumer_;
    Deadline deadline_;
    std::uint64_t batch_bytes_;
    std::uint64_t unpublished_ = 0;
    std::size_t claimed_ = 0;  // the size of the record begin_send claimed
    std::uint64_t unreleased_ = 0;
};

template <bool ZeroCopy>
class SpscChannel : public Channel {
public:
    explicit SpscChannel(const ChannelConfig& config) : config_(config), rings_(config) {}

    Outcome make() {
        const std::uint64_t capacity = spsc_capacity(config_);
        return rings_.create([&](const std::string& name) { return create_spsc_ring(name, capacity); });
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const EndpointOptions options = attach_options(config_.mode);
        auto producer = SpscProducer::attach(rings_.outgoing(side), options);
        if (!producer) return producer.error();
        auto consumer = SpscConsumer::attach(rings_.incoming(side), options);
        if (!consumer) return consumer.error();
        const Deadline deadline = to_deadline(config_.deadline_ns);
        if constexpr (ZeroCopy)
            return std::unique_ptr<ChannelEnd>(new ZeroCopyChannelEnd(std::move(*producer), std::move(*consumer), deadline));
        return std::unique_ptr<ChannelEnd>(
            new CopyChannelEnd<SpscProducer, SpscConsumer>(std::move(*producer), std::move(*consumer), deadline, config_.message_size));
    }

private:
    ChannelConfig config_;
    RingPair rings_;
};

const std::vector<WaitStrategy> kAllModes{WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block};

}  // namespace

void register_shmring_spsc(Registry& registry) {
    registry.add({.name = "shmring-spsc",
                  .description = "shmring SPSC ring, copy API (send/receive)",
                  .modes = kAllModes,
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk, Pattern::paced},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<SpscChannel<false>>});
    registry.add({.name = "shmring-spsc-zc",
                  .description = "shmring SPSC ring, zero copy (claim/commit, peek/release) with Flush::later batches",
                  .modes = kAllModes,
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<SpscChannel<true>>});
}

}  // namespace shmring::bench
