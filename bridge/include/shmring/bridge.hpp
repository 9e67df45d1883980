// Bridges: a ring continued on another host over ZeroMQ.
//
// A sender reads a local ring and forwards its records; a receiver, on the other host, writes them
// into a local ring of the same engine and kind (created with the sender's geometry when it is
// missing). Local programs keep using their local rings; the two bridges are the ring's consumer on
// one side and its producer on the other.
//
// Exactly once, in order, across a dropped connection and a bridge killed and restarted on either
// side:
//  - Custody. The sender reads ahead but gives a record's room back to its ring only when the
//    receiver has confirmed that the record is in the far ring. Until then the record stays in the
//    source ring, so a sender killed at any moment loses nothing: its successor reads from the
//    first unconfirmed record again. Memory stays bounded: what is in flight is what the source
//    ring holds, and at most the sender's window of it.
//  - Positions. Every record travels with the source ring's position after it: a number that
//    grows with each record, the same for a record sent again. The receiver skips what it already
//    delivered.
//  - Delivery journal. The receiver keeps, in a small shared-memory object of its own, the
//    position through which the far ring holds the stream, and before each store that publishes
//    records there, the position the ring will have after it. A receiver killed between the two
//    leaves enough for its successor to tell, from the ring itself, whether the store happened.
//  - Back-pressure. A full far ring stops the receiver, which stops confirming; the sender's
//    window fills, so it stops reading, and the source ring fills: its writer waits.
//
// The sender's source is a pipe, a queue, or a topic: the bridge is its consumer (an MPMC queue's
// only one, an MpmcHolder, which holds the slots it takes until they are confirmed), or one subscriber (TopicSubscriber::hold gives a topic the same custody: a lossless
// topic's publisher waits for the far side as for any subscriber; a lossy one's does not, and what
// it overwrites before the bridge reads it is lost and counted). The receiver must be its far
// ring's only producer (for a topic, its publisher).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shmring/error.hpp"

namespace shmring::bridge {

// CURVE (ZeroMQ's authentication and encryption). Key files are written by write_key_pair.
struct Security {
    std::string key_file;                       // this side's key pair; empty: plain TCP
    std::string server_key_file;                // sender: the receiver's public key (its .pub file)
    std::vector<std::string> client_key_files;  // receiver: the senders' public keys it lets in
};

struct Settings {
    std::string ring;      // the local ring
    std::string endpoint;  // sender: tcp://HOST:PORT to connect to; receiver: tcp://ADDR:PORT to bind
    Security security;
    // A bridge sends a heartbeat when it has had nothing to say for this long; a sender that has
    // heard nothing from its receiver for four of them reconnects.
    std::chrono::milliseconds heartbeat{250};
    std::function<void(std::string_view)> log;  // one line per event; empty: standard error
    std::function<bool()> should_stop;          // asked at least every heartbeat: true ends the run
};

struct SenderSettings : Settings {
    std::uint64_t window_bytes = 8U << 20;  // the most bytes of records unconfirmed at once
};

struct ReceiverSettings : Settings {
    unsigned mode = 0600;  // of a far ring the receiver creates
};

// Run until settings.should_stop() says true (Ok) or an error that waiting cannot mend (a ring of another
// kind, a refused key, a corrupt ring, a bad key file).
Outcome run_sender(const SenderSettings& settings);
Outcome run_receiver(const ReceiverSettings& settings);

// Writes a new CURVE key pair: `path` (public and secret key, mode 0600) and `path`.pub (public).
Outcome write_key_pair(const std::string& path);

enum class Side : std::uint32_t { sender = 1, receiver = 2 };

// What a bridge publishes about itself, in its state object (bridge_state.hpp).
struct Statistics {
    Side side;
    bool running = false;  // a live bridge holds the object's lock
    std::uint32_t pid = 0;
    bool connected = false;
    std::uint64_t messages = 0;      // records handed over (sender: confirmed; receiver: delivered)
    std::uint64_t bytes = 0;         // their payload bytes
    std::uint64_t reconnects = 0;    // connections after the first (sender) or sessions (receiver)
    std::uint64_t in_flight = 0;     // records sent and not yet confirmed (sender)
    std::uint64_t in_flight_bytes = 0;
    std::uint64_t acknowledged = 0;  // the stream position confirmed (sender) or delivered (receiver)
    std::uint64_t refused = 0;       // receiver: peers refused (wrong key, another ring's kind)
    std::uint64_t lost = 0;          // sender of a lossy topic: messages overwritten before it read them
    std::uint64_t updated_realtime_ns = 0;
};

// The statistics of the bridge of `ring` on `side`, or nothing when none ever ran on this host.
Result<std::optional<Statistics>> read_statistics(std::string_view ring, Side side);

}  // namespace shmring::bridge
