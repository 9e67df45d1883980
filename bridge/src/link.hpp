// Internal. What the sender and the receiver share about their ZeroMQ link: socket settings,
// sending our frames, the log, the clock.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <zmq.hpp>

#include "shmring/bridge.hpp"

namespace shmring::bridge::detail {

using LinkClock = std::chrono::steady_clock;

// The settings of every bridge socket. No high-water mark: what is queued is bounded by the
// sender's window instead (a message ZeroMQ dropped or refused at the mark would cost a resume).
// No linger: what a closed socket still held is sent again by custody.
inline void configure_socket(zmq::socket_t& socket) {
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::sndhwm, 0);
    socket.set(zmq::sockopt::rcvhwm, 0);
    socket.set(zmq::sockopt::tcp_keepalive, 1);
}

// Sends one frame without waiting. False when ZeroMQ cannot take it now (no peer).
inline bool send_frame(zmq::socket_t& socket, std::span<const std::byte> frame) {
    return socket.send(zmq::const_buffer(frame.data(), frame.size()), zmq::send_flags::dontwait).has_value();
}

// Prefixes a bridge's lines with its side and ring, and writes them where the settings say.
class Log {
public:
    Log(const Settings& settings, std::string_view side) : settings_(settings), prefix_("bridge " + std::string(side) + " " + settings.ring + ": ") {}
    void operator()(const std::string& line) const;

private:
    const Settings& settings_;
    std::string prefix_;
};

inline bool stop_requested(const Settings& settings) { return settings.should_stop && settings.should_stop(); }

}  // namespace shmring::bridge::detail

namespace shmring::bridge::detail {

// zmq::poll that counts an interrupting signal as a timeout (the caller looks at its stop flag).
inline int poll_items(zmq::pollitem_t* items, std::size_t count, std::chrono::milliseconds timeout) {
    try {
        return zmq::poll(items, count, timeout);
    } catch (const zmq::error_t& error) {
        if (error.num() == EINTR) return 0;
        throw;
    }
}

// The next message if one is there now. A signal counts as none.
inline bool receive_now(zmq::socket_t& socket, zmq::message_t& message) {
    try {
        return socket.recv(message, zmq::recv_flags::dontwait).has_value();
    } catch (const zmq::error_t& error) {
        if (error.num() == EINTR) return false;
        throw;
    }
}

inline std::span<const std::byte> bytes_of(const zmq::message_t& message) {
    return {static_cast<const std::byte*>(message.data()), message.size()};
}

}  // namespace shmring::bridge::detail
