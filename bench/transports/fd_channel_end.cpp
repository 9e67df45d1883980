#include "transports/fd_channel_end.hpp"

#include <cerrno>
#include <unistd.h>

#include "harness/watchdog.hpp"

namespace shmring::bench {

FdChannelEnd::FdChannelEnd(UniqueFd send, UniqueFd receive, Framing framing, std::size_t max_message)
    : send_(std::move(send)), receive_(std::move(receive)), framing_(framing), out_(max_message), in_(max_message) {}

bool FdChannelEnd::begin_send(std::size_t size, std::span<std::byte>& buffer) {
    if (size > out_.size()) return fail("message of " + std::to_string(size) + " bytes exceeds the buffer");
    pending_ = buffer = {out_.data(), size};
    return true;
}

bool FdChannelEnd::end_send() {
    std::size_t done = 0;
    while (done < pending_.size()) {
        const ssize_t n = ::write(send_fd(), pending_.data() + done, pending_.size() - done);
        if (n < 0) {
            if (retry_interrupted()) continue;
            return fail_errno("write");
        }
        done += static_cast<std::size_t>(n);
        if (framing_ == Framing::datagram && done != pending_.size()) return fail("write: datagram truncated");
    }
    return true;
}

bool FdChannelEnd::begin_receive(std::size_t size, std::span<const std::byte>& message) {
    if (framing_ == Framing::datagram) {
        for (;;) {
            const ssize_t n = ::read(receive_fd(), in_.data(), in_.size());
            if (n >= 0) {
                message = {in_.data(), static_cast<std::size_t>(n)};
                return true;
            }
            if (!retry_interrupted()) return fail_errno("read");
        }
    }
    if (size > in_.size()) return fail("message of " + std::to_string(size) + " bytes exceeds the buffer");
    std::size_t done = 0;
    while (done < size) {
        const ssize_t n = ::read(receive_fd(), in_.data() + done, size - done);
        if (n == 0) return fail("read: the peer closed the stream");
        if (n < 0) {
            if (retry_interrupted()) continue;
            return fail_errno("read");
        }
        done += static_cast<std::size_t>(n);
    }
    message = {in_.data(), size};
    return true;
}

}  // namespace shmring::bench
