// Kernel message queues: POSIX (mq_open) and System V (msgget), one queue per direction. Their
// message sizes are capped by sysctls; larger sizes are skipped rather than raising the limits.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <mqueue.h>
#include <sys/msg.h>
#include <vector>

#include "harness/watchdog.hpp"
#include "transports/make_channel.hpp"

namespace shmring::bench {

namespace {

long read_sysctl(const char* path, long fallback) {
    std::ifstream in(path);
    long value = 0;
    return in >> value ? value : fallback;
}

// --- POSIX ---------------------------------------------------------------------------------------

class PosixMqChannelEnd : public ChannelEnd {
public:
    PosixMqChannelEnd(mqd_t send, mqd_t receive, std::size_t max_message)
        : send_(send), receive_(receive), out_(max_message), in_(max_message) {}
    ~PosixMqChannelEnd() override {
        ::mq_close(send_);
        ::mq_close(receive_);
    }

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        if (size > out_.size()) return fail("message exceeds the queue's message size");
        pending_ = buffer = {out_.data(), size};
        return true;
    }
    bool end_send() override {
        while (::mq_send(send_, reinterpret_cast<const char*>(pending_.data()), pending_.size(), 0) != 0)
            if (!retry_interrupted()) return fail_errno("mq_send");
        return true;
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        for (;;) {
            const ssize_t n = ::mq_receive(receive_, reinterpret_cast<char*>(in_.data()), in_.size(), nullptr);
            if (n >= 0) {
                message = {in_.data(), static_cast<std::size_t>(n)};
                return true;
            }
            if (!retry_interrupted()) return fail_errno("mq_receive");
        }
    }

private:
    mqd_t send_;
    mqd_t receive_;
    std::vector<std::byte> out_;
    std::vector<std::byte> in_;
    std::span<std::byte> pending_;
};

class PosixMqChannel : public Channel {
public:
    explicit PosixMqChannel(const ChannelConfig& config)
        : size_(config.message_size), names_{"/shmring-" + config.unique_name + "-a", "/shmring-" + config.unique_name + "-b"} {}
    ~PosixMqChannel() override {
        for (int i = 0; i < 2; ++i) {
            if (queues_[i] == static_cast<mqd_t>(-1)) continue;
            ::mq_close(queues_[i]);
            ::mq_unlink(names_[i].c_str());
        }
    }

    Outcome make() {
        mq_attr attr{};
        attr.mq_maxmsg = std::min(10L, read_sysctl("/proc/sys/fs/mqueue/msg_max", 10));
        attr.mq_msgsize = static_cast<long>(size_);
        for (int i = 0; i < 2; ++i) {
            queues_[i] = ::mq_open(names_[i].c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
            if (queues_[i] == static_cast<mqd_t>(-1)) return system_error("mq_open(" + names_[i] + ")", errno);
        }
        return Ok{};
    }

    // The descriptors came through the fork; each process keeps its own copies open.
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const mqd_t a = ::dup(queues_[0]);
        const mqd_t b = ::dup(queues_[1]);
        if (a < 0 || b < 0) return system_error("dup", errno);
        if (side == Side::parent) return std::unique_ptr<ChannelEnd>(new PosixMqChannelEnd(a, b, size_));
        return std::unique_ptr<ChannelEnd>(new PosixMqChannelEnd(b, a, size_));
    }

private:
    std::size_t size_;
    std::string names_[2];
    mqd_t queues_[2] = {static_cast<mqd_t>(-1), static_cast<mqd_t>(-1)};
};

// --- System V ------------------------------------------------------------------------------------

// msgsnd and msgrcv want the payload behind a `long` message type.
class SysvMqChannelEnd : public ChannelEnd {
public:
    SysvMqChannelEnd(int send, int receive, std::size_t max_message)
        : send_(send), receive_(receive), out_(sizeof(long) + max_message), in_(sizeof(long) + max_message) {
        const long type = 1;
        std::memcpy(out_.data(), &type, sizeof type);
    }

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override {
        if (sizeof(long) + size > out_.size()) return fail("message exceeds the buffer");
        pending_ = size;
        buffer = {out_.data() + sizeof(long), size};
        return true;
    }
    bool end_send() override {
        while (::msgsnd(send_, out_.data(), pending_, 0) != 0)
            if (!retry_interrupted()) return fail_errno("msgsnd");
        return true;
    }
    bool begin_receive(std::size_t, std::span<const std::byte>& message) override {
        for (;;) {
            const ssize_t n = ::msgrcv(receive_, in_.data(), in_.size() - sizeof(long), 0, 0);
            if (n >= 0) {
                message = {in_.data() + sizeof(long), static_cast<std::size_t>(n)};
                return true;
            }
            if (!retry_interrupted()) return fail_errno("msgrcv");
        }
    }

private:
    int send_;
    int receive_;
    std::vector<std::byte> out_;
    std::vector<std::byte> in_;
    std::size_t pending_ = 0;
};

class SysvMqChannel : public Channel {
public:
    explicit SysvMqChannel(const ChannelConfig& config) : size_(config.message_size) {}
    ~SysvMqChannel() override {
        for (const int queue : queues_)
            if (queue >= 0) ::msgctl(queue, IPC_RMID, nullptr);
    }

    Outcome make() {
        for (int& queue : queues_) {
            queue = ::msgget(IPC_PRIVATE, IPC_CREAT | 0600);
            if (queue < 0) return system_error("msgget", errno);
        }
        return Ok{};
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        if (side == Side::parent) return std::unique_ptr<ChannelEnd>(new SysvMqChannelEnd(queues_[0], queues_[1], size_));
        return std::unique_ptr<ChannelEnd>(new SysvMqChannelEnd(queues_[1], queues_[0], size_));
    }

private:
    std::size_t size_;
    int queues_[2] = {-1, -1};
};

}  // namespace

void register_message_queues(Registry& registry) {
    const long posix_max = read_sysctl("/proc/sys/fs/mqueue/msgsize_max", 8192);
    registry.add({.name = "posix-mq",
                  .description = "POSIX message queue (mq_send/mq_receive), 10 messages deep",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput},
                  .max_message = static_cast<std::size_t>(posix_max),
                  .limit_reason = "above /proc/sys/fs/mqueue/msgsize_max (" + std::to_string(posix_max) + ")",
                  .test_only = false,
                  .create = make_channel<PosixMqChannel>});
    // A message must fit both the per-message cap and the queue's byte capacity.
    const long sysv_max = std::min(read_sysctl("/proc/sys/kernel/msgmax", 8192), read_sysctl("/proc/sys/kernel/msgmnb", 16384));
    registry.add({.name = "sysv-mq",
                  .description = "System V message queue (msgsnd/msgrcv)",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput},
                  .max_message = static_cast<std::size_t>(sysv_max),
                  .limit_reason = "above /proc/sys/kernel/msgmax or msgmnb (" + std::to_string(sysv_max) + ")",
                  .test_only = false,
                  .create = make_channel<SysvMqChannel>});
}

}  // namespace shmring::bench
