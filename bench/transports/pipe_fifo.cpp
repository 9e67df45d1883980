// Linux pipes and named FIFOs: one per direction, blocking, framed by the known message size.
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "harness/sizes.hpp"
#include "harness/watchdog.hpp"
#include "transports/fd_channel_end.hpp"
#include "transports/make_channel.hpp"

namespace shmring::bench {

namespace {

// Descriptors [0] and [1] of pipe A (parent to child), then of pipe B (child to parent).
class PipeChannel : public Channel {
public:
    explicit PipeChannel(const ChannelConfig& config) : max_message_(config.message_size) {}

    Outcome make() {
        int a[2], b[2];
        if (::pipe2(a, O_CLOEXEC) != 0) return system_error("pipe2", errno);
        if (::pipe2(b, O_CLOEXEC) != 0) {
            const int saved = errno;
            ::close(a[0]);
            ::close(a[1]);
            return system_error("pipe2", saved);
        }
        for (int i = 0; i < 2; ++i) {
            a_[i] = UniqueFd(a[i]);
            b_[i] = UniqueFd(b[i]);
        }
        return Ok{};
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        // Each process keeps only its own ends, so that the other's death reads as end of file.
        if (side == Side::parent) {
            a_[0].reset();
            b_[1].reset();
            return std::unique_ptr<ChannelEnd>(new FdChannelEnd(std::move(a_[1]), std::move(b_[0]), Framing::stream, max_message_));
        }
        a_[1].reset();
        b_[0].reset();
        return std::unique_ptr<ChannelEnd>(new FdChannelEnd(std::move(b_[1]), std::move(a_[0]), Framing::stream, max_message_));
    }

private:
    std::size_t max_message_;
    UniqueFd a_[2], b_[2];
};

// Two FIFOs in a private directory. Opening a FIFO blocks until its other end opens, so both
// processes open "a" before "b".
class FifoChannel : public Channel {
public:
    explicit FifoChannel(const ChannelConfig& config) : max_message_(config.message_size) {}
    ~FifoChannel() override {
        if (dir_.empty()) return;
        ::unlink((dir_ + "/a").c_str());
        ::unlink((dir_ + "/b").c_str());
        ::rmdir(dir_.c_str());
    }

    Outcome make() {
        std::string templ = "/tmp/shmring-bench-fifo-XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) return system_error("mkdtemp", errno);
        dir_ = templ;
        for (const char* name : {"/a", "/b"})
            if (::mkfifo((dir_ + name).c_str(), 0600) != 0) return system_error("mkfifo(" + dir_ + name + ")", errno);
        return Ok{};
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const bool parent = side == Side::parent;
        auto a = open_fifo("/a", parent ? O_WRONLY : O_RDONLY);
        if (!a) return a.error();
        auto b = open_fifo("/b", parent ? O_RDONLY : O_WRONLY);
        if (!b) return b.error();
        UniqueFd& out = parent ? *a : *b;
        UniqueFd& in = parent ? *b : *a;
        return std::unique_ptr<ChannelEnd>(new FdChannelEnd(std::move(out), std::move(in), Framing::stream, max_message_));
    }

private:
    Result<UniqueFd> open_fifo(const char* name, int flags) const {
        const std::string path = dir_ + name;
        for (;;) {
            const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
            if (fd >= 0) return UniqueFd(fd);
            if (!retry_interrupted()) return system_error("open(" + path + ")", errno);
        }
    }

    std::size_t max_message_;
    std::string dir_;
};

}  // namespace

void register_pipe_fifo(Registry& registry) {
    registry.add({.name = "pipe",
                  .description = "Linux pipe, one per direction",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk, Pattern::paced},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<PipeChannel>});
    registry.add({.name = "fifo",
                  .description = "named FIFO (mkfifo), one per direction",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput, Pattern::bulk},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<FifoChannel>});
}

}  // namespace shmring::bench
