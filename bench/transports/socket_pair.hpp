// A channel over one AF_UNIX socketpair: end [0] is the parent's, end [1] the child's, each used
// both ways. ChannelEndType is FdChannelEnd or a variant of it.
#pragma once

#include <cerrno>
#include <sys/socket.h>

#include "transports/fd_channel_end.hpp"

namespace shmring::bench {

template <int Type, class ChannelEndType = FdChannelEnd>
class SocketPairChannel : public Channel {
public:
    explicit SocketPairChannel(const ChannelConfig& config) : max_message_(config.message_size) {}

    Outcome make() {
        int sv[2];
        if (::socketpair(AF_UNIX, Type | SOCK_CLOEXEC, 0, sv) != 0) return system_error("socketpair", errno);
        ends_[0] = UniqueFd(sv[0]);
        ends_[1] = UniqueFd(sv[1]);
        return Ok{};
    }

    // Each process keeps only its own end, so that the other's death reads as end of file.
    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        const int mine = side == Side::parent ? 0 : 1;
        ends_[1 - mine].reset();
        const Framing framing = Type == SOCK_STREAM ? Framing::stream : Framing::datagram;
        return std::unique_ptr<ChannelEnd>(new ChannelEndType(std::move(ends_[mine]), UniqueFd(), framing, max_message_));
    }

private:
    std::size_t max_message_;
    UniqueFd ends_[2];
};

}  // namespace shmring::bench
