// What the shmring transports share: ring names, attach options, and the deadline.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "harness/transport.hpp"
#include "shmring/segment.hpp"
#include "shmring/spsc_ring.hpp"
#include "shmring/wait.hpp"

namespace shmring::bench {

inline EndpointOptions attach_options(WaitStrategy mode) noexcept {
    EndpointOptions options;
    options.wait = mode;
    return options;
}

// CLOCK_MONOTONIC nanoseconds as the core's deadline (steady_clock is CLOCK_MONOTONIC).
inline Deadline to_deadline(std::int64_t ns) noexcept { return Deadline(std::chrono::nanoseconds(ns)); }

// Two named rings, "<unique>-a" (parent to child) and "<unique>-b"; unlinked with the channel.
class RingPair {
public:
    explicit RingPair(const ChannelConfig& config) : names_{config.unique_name + "-a", config.unique_name + "-b"} {}
    RingPair(const RingPair&) = delete;
    RingPair& operator=(const RingPair&) = delete;
    ~RingPair() {
        for (int i = 0; i < created_; ++i) (void)Segment::unlink(names_[i]);
    }

    // Creates both rings with `create(name)`.
    template <class Create>
    Outcome create(Create&& create) {
        for (const auto& name : names_) {
            if (auto made = create(name); !made) return made;
            ++created_;
        }
        return Ok{};
    }

    const std::string& outgoing(Side side) const noexcept { return names_[side == Side::parent ? 0 : 1]; }
    const std::string& incoming(Side side) const noexcept { return names_[side == Side::parent ? 1 : 0]; }

private:
    std::string names_[2];
    int created_ = 0;
};

// The copy API of either engine: send() from a private buffer the harness fills, receive() into one.
template <class Producer, class Consumer>
class CopyChannelEnd : public ChannelEnd {
public:
    CopyChannelEnd(Producer producer, Consumer consumer, Deadline deadline, std::size_t max_message)
        : producer_(std::move(producer)), consumer_(std::move(consumer)), deadline_(deadline), out_(max_message), in_(max_message) {}

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        pending_ = buffer = {out_.data(), size};
        return true;
    }
    bool end_send() override {
        const Status status = producer_.send(pending_, deadline_);
        return status == Status::ok || fail_status("send", status);
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        std::size_t length = 0;
        const Status status = consumer_.receive(in_, length, deadline_);
        if (status != Status::ok) return fail_status("receive", status);
        message = {in_.data(), length};
        return true;
    }

private:
    Producer producer_;
    Consumer consumer_;
    Deadline deadline_;
    std::vector<std::byte> out_;
    std::vector<std::byte> in_;
    std::span<std::byte> pending_;
};

}  // namespace shmring::bench
