// shmring's channels as users link them, through the C API (<shmring/shmring.h>): the pipe (a byte
// stream) and the queue with either engine. One channel per direction, as for the kernel's pipes.
#include <algorithm>
#include <bit>
#include <string>
#include <vector>

#include "harness/clock.hpp"
#include "harness/sizes.hpp"
#include "shmring/shmring.h"
#include "transports/make_channel.hpp"
#include "transports/shmring_rings.hpp"

namespace shmring::bench {

namespace {

int c_wait_strategy(WaitStrategy mode) noexcept {
    switch (mode) {
        case WaitStrategy::spin: return SHMRING_WAIT_SPIN;
        case WaitStrategy::adaptive: return SHMRING_WAIT_ADAPTIVE;
        case WaitStrategy::block: return SHMRING_WAIT_BLOCK;
    }
    return SHMRING_WAIT_BLOCK;
}

// A C API creation as the Outcome that RingPair::create expects.
Outcome created(const std::string& name, int rc) {
    if (rc == 0) return Ok{};
    return Error(Errc::system, "create " + name + ": " + shmring_strerror(rc), -rc);
}

class PipeChannelEnd : public ChannelEnd {
public:
    PipeChannelEnd(shmring_pipe* out, shmring_pipe* in, std::size_t max_message) : out_(out), in_(in), send_(max_message), receive_(max_message) {}
    ~PipeChannelEnd() override {
        shmring_pipe_close(out_);
        shmring_pipe_close(in_);
    }
    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        pending_ = buffer = {send_.data(), size};
        return true;
    }
    bool end_send() override {
        const ssize_t n = shmring_pipe_write(out_, pending_.data(), pending_.size(), 0);
        if (n < 0) return fail(std::string("shmring_pipe_write: ") + shmring_strerror(static_cast<int>(n)));
        return static_cast<std::size_t>(n) == pending_.size() || fail("shmring_pipe_write: short write");
    }
    bool begin_receive(std::size_t size, std::span<const std::byte>& message) override {
        for (std::size_t got = 0; got < size;) {
            const ssize_t n = shmring_pipe_read(in_, receive_.data() + got, size - got, 0);
            if (n < 0) return fail(std::string("shmring_pipe_read: ") + shmring_strerror(static_cast<int>(n)));
            if (n == 0) return fail("shmring_pipe_read: end of file");
            got += static_cast<std::size_t>(n);
        }
        message = {receive_.data(), size};
        return true;
    }

private:
    shmring_pipe* out_;
    shmring_pipe* in_;
    std::vector<std::byte> send_;
    std::vector<std::byte> receive_;
    std::span<std::byte> pending_;
};

class PipeChannel : public Channel {
public:
    explicit PipeChannel(const ChannelConfig& config) : config_(config), names_(config) {}
    Outcome make() {
        const std::size_t capacity = std::clamp<std::size_t>(std::bit_ceil(std::max<std::size_t>(config_.buffer_bytes, 64)), 64, std::size_t{1} << 30);
        return names_.create([&](const std::string& name) { return created(name, shmring_pipe_create(name.c_str(), capacity, 0600)); });
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        shmring_pipe* out = nullptr;
        shmring_pipe* in = nullptr;
        if (const int rc = shmring_pipe_open(names_.outgoing(side).c_str(), SHMRING_SENDER, &out); rc < 0)
            return Error(Errc::system, std::string("shmring_pipe_open: ") + shmring_strerror(rc), -rc);
        if (const int rc = shmring_pipe_open(names_.incoming(side).c_str(), SHMRING_RECEIVER, &in); rc < 0) {
            shmring_pipe_close(out);
            return Error(Errc::system, std::string("shmring_pipe_open: ") + shmring_strerror(rc), -rc);
        }
        shmring_pipe_set_wait(out, c_wait_strategy(config_.mode));
        shmring_pipe_set_wait(in, c_wait_strategy(config_.mode));
        return std::unique_ptr<ChannelEnd>(new PipeChannelEnd(out, in, config_.message_size));
    }

private:
    ChannelConfig config_;
    RingPair names_;
};

// Both queue channel ends: the two handles, closed with the end.
class QueueHandles {
public:
    // Each call that must wait may wait as long as the whole run may last, counted from its own
    // miss: the library reads the clock once per waiting call, as for any C caller's timeout, the
    // harness never does, and a lost message still ends the run, at worst one run length late.
    QueueHandles(shmring_queue* out, shmring_queue* in, std::int64_t deadline_ns)
        : out_(out), in_(in), patience_ns_(std::max<std::int64_t>(deadline_ns - now_ns(), 1)) {}
    ~QueueHandles() {
        shmring_queue_close(out_);
        shmring_queue_close(in_);
    }
    QueueHandles(const QueueHandles&) = delete;
    QueueHandles& operator=(const QueueHandles&) = delete;

    std::int64_t patience() const { return patience_ns_; }

    shmring_queue* out() const { return out_; }
    shmring_queue* in() const { return in_; }

private:
    shmring_queue* out_;
    shmring_queue* in_;
    std::int64_t patience_ns_;
};

// One message per call: shmring_queue_send / shmring_queue_receive.
class QueueChannelEnd : public ChannelEnd {
public:
    QueueChannelEnd(shmring_queue* out, shmring_queue* in, std::size_t max_message, std::int64_t deadline_ns)
        : queues_(out, in, deadline_ns), send_(max_message), receive_(max_message) {}
    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        pending_ = buffer = {send_.data(), size};
        return true;
    }
    bool end_send() override {
        const int rc = shmring_queue_send(queues_.out(), pending_.data(), pending_.size(), queues_.patience());
        return rc == 0 || fail(std::string("shmring_queue_send: ") + shmring_strerror(rc));
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        const ssize_t n = shmring_queue_receive(queues_.in(), receive_.data(), receive_.size(), queues_.patience());
        if (n < 0) return fail(std::string("shmring_queue_receive: ") + shmring_strerror(static_cast<int>(n)));
        message = {receive_.data(), static_cast<std::size_t>(n)};
        return true;
    }

private:
    QueueHandles queues_;
    std::vector<std::byte> send_;
    std::vector<std::byte> receive_;
    std::span<std::byte> pending_;
};

// kBatch messages per call: shmring_queue_send_batch / shmring_queue_receive_batch. Messages are
// gathered until the batch is full or the harness flushes, and handed out one by one from the
// last batch received.
class QueueBatchChannelEnd : public ChannelEnd {
public:
    static constexpr std::size_t kBatch = 32;

    QueueBatchChannelEnd(shmring_queue* out, shmring_queue* in, std::size_t max_message, std::int64_t deadline_ns)
        : queues_(out, in, deadline_ns), max_message_(max_message), send_(kBatch * max_message), receive_(kBatch * max_message) {}
    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        outgoing_[gathered_] = {send_.data() + gathered_ * max_message_, size};
        buffer = {static_cast<std::byte*>(outgoing_[gathered_].iov_base), size};
        return true;
    }
    bool end_send() override { return ++gathered_ < kBatch || flush(); }
    bool flush() override {
        for (std::size_t sent = 0; sent < gathered_;) {
            const ssize_t n = shmring_queue_send_batch(queues_.out(), outgoing_ + sent, gathered_ - sent, queues_.patience());
            if (n < 0) return fail(std::string("shmring_queue_send_batch: ") + shmring_strerror(static_cast<int>(n)));
            sent += static_cast<std::size_t>(n);
        }
        gathered_ = 0;
        return true;
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        if (next_ == received_) {
            for (std::size_t k = 0; k < kBatch; ++k) incoming_[k] = {receive_.data() + k * max_message_, max_message_};
            const ssize_t n = shmring_queue_receive_batch(queues_.in(), incoming_, kBatch, queues_.patience());
            if (n < 0) return fail(std::string("shmring_queue_receive_batch: ") + shmring_strerror(static_cast<int>(n)));
            received_ = static_cast<std::size_t>(n);
            next_ = 0;
        }
        message = {static_cast<const std::byte*>(incoming_[next_].iov_base), incoming_[next_].iov_len};
        ++next_;
        return true;
    }

private:
    QueueHandles queues_;
    std::size_t max_message_;
    std::vector<std::byte> send_;
    std::vector<std::byte> receive_;
    iovec outgoing_[kBatch]{};
    iovec incoming_[kBatch]{};
    std::size_t gathered_ = 0;
    std::size_t received_ = 0;
    std::size_t next_ = 0;
};

template <int Engine, class End>
class QueueChannel : public Channel {
public:
    explicit QueueChannel(const ChannelConfig& config) : config_(config), names_(config) {}
    Outcome make() {
        const std::size_t record = config_.message_size + 64;
        const std::size_t messages = std::clamp<std::size_t>(config_.buffer_bytes / record, 2, std::size_t{1} << 16);
        return names_.create([&](const std::string& name) {
            return created(name, shmring_queue_create(name.c_str(), messages, std::max<std::size_t>(config_.message_size, 1), Engine, 0600));
        });
    }
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        shmring_queue* out = nullptr;
        shmring_queue* in = nullptr;
        if (const int rc = shmring_queue_open(names_.outgoing(side).c_str(), SHMRING_SENDER, &out); rc < 0)
            return Error(Errc::system, std::string("shmring_queue_open: ") + shmring_strerror(rc), -rc);
        if (const int rc = shmring_queue_open(names_.incoming(side).c_str(), SHMRING_RECEIVER, &in); rc < 0) {
            shmring_queue_close(out);
            return Error(Errc::system, std::string("shmring_queue_open: ") + shmring_strerror(rc), -rc);
        }
        shmring_queue_set_wait(out, c_wait_strategy(config_.mode));
        shmring_queue_set_wait(in, c_wait_strategy(config_.mode));
        return std::unique_ptr<ChannelEnd>(new End(out, in, std::max<std::size_t>(config_.message_size, 1), config_.deadline_ns));
    }

private:
    ChannelConfig config_;
    RingPair names_;
};

}  // namespace

void register_shmring_adapters(Registry& registry) {
    const std::vector<WaitStrategy> modes{WaitStrategy::spin, WaitStrategy::adaptive, WaitStrategy::block};
    registry.add({.name = "shmring-pipe",
                  .description = "shmring pipe through the C API (byte stream)",
                  .modes = modes,
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk, Pattern::paced},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<PipeChannel>});
    for (const auto& [name, description, create] :
         {std::tuple{"shmring-queue-spsc", "shmring queue, SPSC engine, through the C API",
                     &make_channel<QueueChannel<SHMRING_SPSC, QueueChannelEnd>>},
          std::tuple{"shmring-queue-mpmc", "shmring queue, MPMC engine, through the C API",
                     &make_channel<QueueChannel<SHMRING_MPMC, QueueChannelEnd>>}}) {
        registry.add({.name = name,
                      .description = description,
                      .modes = modes,
                      .patterns = {Pattern::latency, Pattern::throughput, Pattern::paced},
                      .max_message = kLargestMessage,
                      .limit_reason = "",
                      .test_only = false,
                      .create = create});
    }
    // Batches move many messages per call: a stream's shape, so throughput only.
    registry.add({.name = "shmring-queue-spsc-batch",
                  .description = "shmring queue, SPSC engine, C API batches of 32 (send_batch/receive_batch)",
                  .modes = modes,
                  .patterns = {Pattern::throughput},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<QueueChannel<SHMRING_SPSC, QueueBatchChannelEnd>>});
}

}  // namespace shmring::bench
