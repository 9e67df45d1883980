// shmring's channels as users link them, through the C API (<shmring/shmring.h>): the pipe (a byte
// stream) and the queue with either engine. One channel per direction, as for the kernel's pipes.
#include <algorithm>
#include <bit>
#include <cerrno>
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

class QueueChannelEnd : public ChannelEnd {
public:
    QueueChannelEnd(shmring_queue* out, shmring_queue* in, std::size_t max_message, std::int64_t deadline_ns)
        : out_(out), in_(in), send_(max_message), receive_(max_message), deadline_ns_(deadline_ns) {}
    ~QueueChannelEnd() override {
        shmring_queue_close(out_);
        shmring_queue_close(in_);
    }
    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        pending_ = buffer = {send_.data(), size};
        return true;
    }
    bool end_send() override {
        const int rc = shmring_queue_send(out_, pending_.data(), pending_.size(), time_left());
        return rc == 0 || fail(std::string("shmring_queue_send: ") + shmring_strerror(rc));
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        const ssize_t n = shmring_queue_receive(in_, receive_.data(), receive_.size(), time_left());
        if (n < 0) return fail(std::string("shmring_queue_receive: ") + shmring_strerror(static_cast<int>(n)));
        message = {receive_.data(), static_cast<std::size_t>(n)};
        return true;
    }

private:
    // The run's deadline as the C API's timeout; at least 1 ns, since 0 would mean "only try".
    std::int64_t time_left() const { return std::max<std::int64_t>(deadline_ns_ - now_ns(), 1); }

    shmring_queue* out_;
    shmring_queue* in_;
    std::vector<std::byte> send_;
    std::vector<std::byte> receive_;
    std::span<std::byte> pending_;
    std::int64_t deadline_ns_;
};

template <int Engine>
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
        return std::unique_ptr<ChannelEnd>(new QueueChannelEnd(out, in, std::max<std::size_t>(config_.message_size, 1), config_.deadline_ns));
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
         {std::tuple{"shmring-queue-spsc", "shmring queue, SPSC engine, through the C API", &make_channel<QueueChannel<SHMRING_SPSC>>},
          std::tuple{"shmring-queue-mpmc", "shmring queue, MPMC engine, through the C API", &make_channel<QueueChannel<SHMRING_MPMC>>}}) {
        registry.add({.name = name,
                      .description = description,
                      .modes = modes,
                      .patterns = {Pattern::latency, Pattern::throughput, Pattern::paced},
                      .max_message = kLargestMessage,
                      .limit_reason = "",
                      .test_only = false,
                      .create = create});
    }
}

}  // namespace shmring::bench
