// Sockets: UNIX stream and datagram socketpairs, and TCP over loopback with Nagle off.
#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "harness/sizes.hpp"
#include "harness/watchdog.hpp"
#include "transports/fd_channel_end.hpp"
#include "transports/socket_pair.hpp"
#include "transports/make_channel.hpp"

namespace shmring::bench {

namespace {

// The parent listens on 127.0.0.1 at a port the kernel picks, before the fork; after it, the
// parent accepts and the child connects.
class TcpChannel : public Channel {
public:
    explicit TcpChannel(const ChannelConfig& config) : max_message_(config.message_size) {}

    Outcome make() {
        listener_ = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        if (!listener_) return system_error("socket", errno);
        sockaddr_in address = loopback(0);
        if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return system_error("bind", errno);
        if (::listen(listener_.get(), 1) != 0) return system_error("listen", errno);
        socklen_t length = sizeof address;
        if (::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
            return system_error("getsockname", errno);
        port_ = ntohs(address.sin_port);
        return Ok{};
    }

    Result<std::unique_ptr<ChannelEnd>> open(Side side) override {
        UniqueFd connection;
        if (side == Side::parent) {
            for (;;) {
                connection = UniqueFd(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
                if (connection || !retry_interrupted()) break;
            }
            if (!connection) return system_error("accept4", errno);
        } else {
            connection = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            if (!connection) return system_error("socket", errno);
            const sockaddr_in address = loopback(port_);
            if (::connect(connection.get(), reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
                return system_error("connect(127.0.0.1:" + std::to_string(port_) + ")", errno);
        }
        listener_.reset();
        // Without TCP_NODELAY a small reply waits for the peer's delayed ACK: that measures Nagle, not TCP.
        const int one = 1;
        if (::setsockopt(connection.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)
            return system_error("setsockopt(TCP_NODELAY)", errno);
        return std::unique_ptr<ChannelEnd>(new FdChannelEnd(std::move(connection), UniqueFd(), Framing::stream, max_message_));
    }

private:
    static sockaddr_in loopback(std::uint16_t port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return address;
    }

    std::size_t max_message_;
    UniqueFd listener_;
    std::uint16_t port_ = 0;
};

const std::vector<Pattern> kStreamPatterns{Pattern::latency, Pattern::throughput, Pattern::bulk};

}  // namespace

void register_sockets(Registry& registry) {
    registry.add({.name = "unix-stream",
                  .description = "AF_UNIX SOCK_STREAM socketpair",
                  .modes = {WaitStrategy::block},
                  .patterns = kStreamPatterns,
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<SocketPairChannel<SOCK_STREAM>>});
    registry.add({.name = "unix-dgram",
                  .description = "AF_UNIX SOCK_DGRAM socketpair, one datagram per message",
                  .modes = {WaitStrategy::block},
                  .patterns = {Pattern::latency, Pattern::throughput},
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<SocketPairChannel<SOCK_DGRAM>>});
    registry.add({.name = "tcp",
                  .description = "TCP over 127.0.0.1 with TCP_NODELAY",
                  .modes = {WaitStrategy::block},
                  .patterns = kStreamPatterns,
                  .max_message = kLargestMessage,
                  .limit_reason = "",
                  .test_only = false,
                  .create = make_channel<TcpChannel>});
}

}  // namespace shmring::bench
