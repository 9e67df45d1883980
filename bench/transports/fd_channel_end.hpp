// A channel end over kernel descriptors: a byte stream framed by the known message size (pipe,
// FIFO, stream socket), or one datagram per message. One copy each way through a private buffer,
// one system call per message and direction whenever the kernel takes the whole message at once.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "harness/transport.hpp"
#include "transports/unique_fd.hpp"

namespace shmring::bench {

enum class Framing { stream, datagram };

class FdChannelEnd : public ChannelEnd {
public:
    // Sends on `send_fd` and receives on `receive_fd`; both may be one bidirectional descriptor,
    // in which case `receive` stays empty.
    FdChannelEnd(UniqueFd send, UniqueFd receive, Framing framing, std::size_t max_message);

    bool begin_send(std::size_t size, std::span<std::byte>& buffer) override;
    bool end_send() override;
    bool begin_receive(std::size_t size, std::span<const std::byte>& message) override;

protected:
    std::span<std::byte> pending() noexcept { return pending_; }  // the message being sent

private:
    int send_fd() const noexcept { return send_.get(); }
    int receive_fd() const noexcept { return receive_ ? receive_.get() : send_.get(); }

    UniqueFd send_;
    UniqueFd receive_;
    Framing framing_;
    std::vector<std::byte> out_;
    std::vector<std::byte> in_;
    std::span<std::byte> pending_;
};

}  // namespace shmring::bench
