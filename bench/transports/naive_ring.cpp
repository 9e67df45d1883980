// The throughput baseline: the textbook shared-memory ring. One message per slot, each slot with
// its own "full" flag that the sender sets and the receiver clears; no shared indexes, no cached
// positions, no batching: every message costs one flag hand-off each way. Always spins.
#include <algorithm>
#include <optional>

#include "harness/sizes.hpp"
#include "shmring/shared_atomic.hpp"
#include "transports/make_channel.hpp"
#include "transports/shared_region.hpp"
#include "transports/spin.hpp"

namespace shmring::bench {

namespace {

struct SlotHeader {
    SharedAtomic<std::uint32_t> full;
    std::uint32_t length;
};

// One direction: `slots` slots of `stride` bytes (header and payload, whole cache lines).
struct Ring {
    std::byte* base = nullptr;
    std::size_t stride = 0;
    std::size_t mask = 0;

    SlotHeader& header(std::uint64_t index) const noexcept { return *reinterpret_cast<SlotHeader*>(base + (index & mask) * stride); }
    std::byte* payload(std::uint64_t index) const noexcept { return base + (index & mask) * stride + sizeof(SlotHeader); }
};

class NaiveChannelEnd : public ChannelEnd {
public:
    NaiveChannelEnd(Ring out, Ring in) : out_(out), in_(in) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        SlotHeader& slot = out_.header(sent_);
        // Acquire, pairs with the release in end_receive: the receiver is done with the slot.
        if (!spin_until([&] { return slot.full.load(std::memory_order_acquire) == 0; })) return fail("timed out waiting for a free slot");
        buffer = {out_.payload(sent_), size};
        slot.length = static_cast<std::uint32_t>(size);
        return true;
    }
    bool end_send() override {
        // Release, pairs with the acquire in begin_receive: publishes length and payload.
        out_.header(sent_++).full.store(1, std::memory_order_release);
        return true;
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        SlotHeader& slot = in_.header(received_);
        // Acquire, pairs with the release in end_send.
        if (!spin_until([&] { return slot.full.load(std::memory_order_acquire) != 0; })) return fail("timed out waiting for a message");
        message = {in_.payload(received_), std::min<std::size_t>(slot.length, in_.stride - sizeof(SlotHeader))};
        return true;
    }
    bool end_receive() override {
        // Release, pairs with the acquire in begin_send: we are done reading the slot.
        in_.header(received_++).full.store(0, std::memory_order_release);
        return true;
    }

private:
    Ring out_;
    Ring in_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
};

class NaiveChannel : public Channel {
public:
    explicit NaiveChannel(const ChannelConfig& config) {
        const SlotGeometry geometry = slot_geometry(sizeof(SlotHeader), config);
        stride_ = geometry.stride;
        slots_ = geometry.slots;
    }
    Outcome make() {
        auto region = SharedRegion::create(2 * slots_ * stride_);
        if (!region) return region.error();
        region_ = std::move(*region);
        return Ok{};
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const Ring a{region_->data(), stride_, slots_ - 1};
        const Ring b{region_->data() + slots_ * stride_, stride_, slots_ - 1};
        return std::unique_ptr<ChannelEnd>(side == Side::parent ? new NaiveChannelEnd(a, b) : new NaiveChannelEnd(b, a));
    }

private:
    std::size_t stride_ = 0;
    std::size_t slots_ = 0;
    std::optional<SharedRegion> region_;
};

}  // namespace

void register_naive_ring(Registry& registry) {
    registry.add({.name = "naive-ring",
                  .description = "baseline: shared-memory ring, one message per slot with a full flag, spinning",
                  .modes = {WaitStrategy::spin},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<NaiveChannel>});
}

}  // namespace shmring::bench
