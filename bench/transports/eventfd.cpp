// eventfd signalling over shared memory: a ring of slots in an anonymous shared mapping, with two
// counting eventfds (EFD_SEMAPHORE) per direction as its semaphores: "items" counts filled slots,
// "space" free ones. Every message costs the sender a read of "space" and a write of "items", and
// the receiver the mirror pair: four system calls, and a sleep whenever a count is zero.
//
// The eventfd's own lock orders the slot's bytes: a write to the counter happens after the slot is
// filled, and the read that takes that count returns only after the write, so no atomics are needed.
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <optional>
#include <sys/eventfd.h>
#include <unistd.h>

#include "harness/sizes.hpp"
#include "harness/watchdog.hpp"
#include "transports/make_channel.hpp"
#include "transports/shared_region.hpp"
#include "transports/unique_fd.hpp"

namespace shmring::bench {

namespace {

struct Direction {
    std::byte* base = nullptr;
    int items = -1;
    int space = -1;
};

class EventfdChannelEnd : public ChannelEnd {
public:
    EventfdChannelEnd(Direction out, Direction in, std::size_t stride, std::size_t slots)
        : out_(out), in_(in), stride_(stride), mask_(slots - 1) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        if (!take(out_.space, "read(space)")) return false;
        std::byte* slot = slot_at(out_, sent_);
        const std::uint64_t length = size;
        std::memcpy(slot, &length, sizeof length);
        buffer = {slot + sizeof length, size};
        return true;
    }
    bool end_send() override {
        ++sent_;
        return give(out_.items, "write(items)");
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        if (!take(in_.items, "read(items)")) return false;
        std::byte* slot = slot_at(in_, received_);
        std::uint64_t length;
        std::memcpy(&length, slot, sizeof length);
        message = {slot + sizeof length, std::min<std::size_t>(length, stride_ - sizeof length)};
        return true;
    }
    bool end_receive() override {
        ++received_;
        return give(in_.space, "write(space)");
    }

private:
    std::byte* slot_at(const Direction& d, std::uint64_t index) const noexcept { return d.base + (index & mask_) * stride_; }

    // Semaphore down: with EFD_SEMAPHORE a read takes one count, sleeping while there is none.
    bool take(int fd, const char* call) {
        std::uint64_t one;
        while (::read(fd, &one, sizeof one) != sizeof one)
            if (!retry_interrupted()) return fail_errno(call);
        return true;
    }
    bool give(int fd, const char* call) {
        const std::uint64_t one = 1;
        while (::write(fd, &one, sizeof one) != sizeof one)
            if (!retry_interrupted()) return fail_errno(call);
        return true;
    }

    Direction out_;
    Direction in_;
    std::size_t stride_;
    std::size_t mask_;
    std::uint64_t sent_ = 0;
    std::uint64_t received_ = 0;
};

class EventfdChannel : public Channel {
public:
    explicit EventfdChannel(const ChannelConfig& config) {
        const SlotGeometry geometry = slot_geometry(8, config);
        stride_ = geometry.stride;
        slots_ = geometry.slots;
    }
    Outcome make() {
        auto region = SharedRegion::create(2 * slots_ * stride_);
        if (!region) return region.error();
        region_ = std::move(*region);
        for (int d = 0; d < 2; ++d) {
            items_[d] = UniqueFd(::eventfd(0, EFD_SEMAPHORE | EFD_CLOEXEC));
            space_[d] = UniqueFd(::eventfd(static_cast<unsigned>(slots_), EFD_SEMAPHORE | EFD_CLOEXEC));
            if (!items_[d] || !space_[d]) return system_error("eventfd", errno);
        }
        return Ok{};
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const Direction a{region_->data(), items_[0].get(), space_[0].get()};
        const Direction b{region_->data() + slots_ * stride_, items_[1].get(), space_[1].get()};
        return std::unique_ptr<ChannelEnd>(side == Side::parent ? new EventfdChannelEnd(a, b, stride_, slots_)
                                                              : new EventfdChannelEnd(b, a, stride_, slots_));
    }

private:
    std::size_t stride_ = 0;
    std::size_t slots_ = 0;
    std::optional<SharedRegion> region_;
    UniqueFd items_[2], space_[2];
};

}  // namespace

void register_eventfd(Registry& registry) {
    registry.add({.name = "eventfd-shm",
                  .description = "shared-memory slots with eventfd semaphores for items and space",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<EventfdChannel>});
}

}  // namespace shmring::bench
