// The receiver: ROUTER socket -> delivery into the far ring, with the journal.
#include <optional>
#include <set>

#include "bridge_state.hpp"
#include "curve.hpp"
#include "delivery.hpp"
#include "link.hpp"
#include "wire.hpp"

namespace shmring::bridge {

namespace detail {

namespace {

constexpr int kSilentBeats = 4;
constexpr int kMessagesPerPublish = 16;
constexpr auto kRoomWait = std::chrono::milliseconds(20);  // a wait for room, between looks at the socket

enum class Progress { done, blocked };

class Receiver {
public:
    Receiver(const ReceiverSettings& settings, BridgeState state, std::optional<KeyPair> keys, std::set<std::string> allowed)
        : settings_(settings), log_(settings, "recv"), state_(std::move(state)), keys_(std::move(keys)), allowed_(std::move(allowed)) {}

    Outcome run() {
        if (keys_) {
            gatekeeper_.emplace(context_, allowed_, [this](const std::string& line) {
                log_(line);
                counters().refused.fetch_add(1, std::memory_order_relaxed);
            });
        }
        socket_.emplace(context_, zmq::socket_type::router);
        configure_socket(*socket_);
        // What a sender may make this receiver hold: a bounded queue of bounded messages (a
        // receiver waiting for room reads nothing, and TCP holds the sender back).
        socket_->set(zmq::sockopt::maxmsgsize, static_cast<std::int64_t>(kMaxDataFrame));
        socket_->set(zmq::sockopt::rcvhwm, 64);
        if (keys_) {
            socket_->set(zmq::sockopt::curve_server, 1);
            socket_->set(zmq::sockopt::curve_secretkey, keys_->secret_key);
        }
        monitor_handshakes();
        socket_->bind(settings_.endpoint);
        log_("listening on " + settings_.endpoint + (keys_ ? " (CURVE)" : " (plain TCP)"));
        if (keys_ && allowed_.empty()) log_("no --allow: any sender that knows this receiver's public key is let in");
        while (!stop_requested(settings_)) {
            if (!pending_.empty()) {
                auto delivered = deliver_pending();
                if (!delivered) return delivered.error();
                if (*delivered == Progress::blocked) {
                    if (auto waited = wait_for_room(); !waited) return waited.error();
                }
            }
            zmq::pollitem_t items[3] = {{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0}};
            std::size_t count = 1;
            if (monitor_) items[count++] = {static_cast<void*>(*monitor_), 0, ZMQ_POLLIN, 0};
            if (gatekeeper_) items[count++] = {static_cast<void*>(gatekeeper_->socket()), 0, ZMQ_POLLIN, 0};
            poll_items(items, count, !pending_.empty() ? std::chrono::milliseconds(0) : settings_.heartbeat);
            if (gatekeeper_) gatekeeper_->answer_all();
            if (monitor_) read_monitor();
            // Only while nothing is pending: a DATA waiting for room holds the rest back in ZeroMQ.
            // What arrived together is published together, with one store, one wake-up and one
            // ACK, up to a bound that keeps a steady stream flowing to the ring's reader.
            for (int taken = 0; pending_.empty() && taken < kMessagesPerPublish; ++taken) {
                zmq::message_t routing;
                if (!receive_now(*socket_, routing)) break;
                auto handled = on_message(routing);
                if (!handled) return handled.error();
            }
            if (delivery_) publish();
            keep_alive();
        }
        return Ok{};
    }

private:
    StateCounters& counters() noexcept { return state_.counters(); }

    // Handshake failures (a wrong server key, a refused client key) are logged as they happen.
    void monitor_handshakes() {
        const std::string address = "inproc://shmring-bridge-monitor";
        if (zmq_socket_monitor(static_cast<void*>(*socket_), address.c_str(), ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) != 0)
            return;  // no monitor: ZAP still refuses, it only logs less
        monitor_.emplace(context_, zmq::socket_type::pair);
        monitor_->set(zmq::sockopt::linger, 0);
        monitor_->connect(address);
    }

    void read_monitor() {
        zmq::message_t event;
        while (receive_now(*monitor_, event)) {
            std::uint16_t id = 0;
            if (event.size() >= sizeof id) std::memcpy(&id, event.data(), sizeof id);
            zmq::message_t address;
            while (event.more() && receive_now(*monitor_, address) && address.more()) {}
            if (id == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL || id == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL) {
                counters().refused.fetch_add(1, std::memory_order_relaxed);
                log_("refused a connection from " + printable(address.to_string()) + ": its handshake failed (a wrong server key, or not CURVE)");
            }
        }
    }

    static std::string printable(std::string text) {
        for (char& c : text)
            if (c < 0x20 || c > 0x7e) c = '?';
        return text;
    }

    Outcome on_message(zmq::message_t& routing) {
        std::vector<zmq::message_t> frames;
        bool more = routing.more();
        while (more) {  // a multipart message arrives whole
            zmq::message_t frame;
            if (!receive_now(*socket_, frame)) break;
            more = frame.more();
            frames.push_back(std::move(frame));
        }
        if (frames.empty()) return Ok{};
        const std::string peer = routing.to_string();
        const auto bytes = bytes_of(frames[0]);
        const auto type = frame_type(bytes);
        if (!type) return Ok{};
        if (type == FrameType::hello) return on_hello(peer, bytes);
        if (peer != peer_) return Ok{};  // a sender that was replaced: its frames are stale
        last_heard_ = LinkClock::now();
        if (type == FrameType::data) {
            ack_due_ = true;
            pending_ = std::move(frames);
            auto delivered = deliver_pending();
            if (!delivered) return delivered.error();
        }
        return Ok{};
    }

    void send_to_peer(std::span<const std::byte> frame) {
        if (peer_.empty()) return;
        if (!send_routed(peer_, frame)) return;
        last_sent_ = LinkClock::now();
    }

    bool send_routed(const std::string& peer, std::span<const std::byte> frame) {
        return socket_->send(zmq::buffer(peer), zmq::send_flags::sndmore | zmq::send_flags::dontwait).has_value() &&
               send_frame(*socket_, frame);
    }

    Outcome on_hello(const std::string& peer, std::span<const std::byte> bytes) {
        const auto hello = decode<Hello>(bytes);
        if (!hello) return Ok{};
        if (const std::string why = out_of_bounds(*hello); !why.empty()) {
            refuse(peer, why);
            return Ok{};
        }
        if (!delivery_) {
            auto opened = Delivery::open(settings_.ring, *hello, settings_.mode, state_.journal());
            if (!opened) {
                const Errc code = opened.error().code();
                // A ring of another kind or version stays so: the sender is told. Anything else
                // (busy, not ready yet, out of descriptors) may pass: the sender's next hello retries.
                if (code == Errc::wrong_kind || code == Errc::invalid_argument || code == Errc::version_mismatch)
                    refuse(peer, opened.error().message());
                else
                    log_("cannot open the ring yet: " + opened.error().message());
                return Ok{};
            }
            delivery_.emplace(std::move(*opened));
        }
        if (const std::string why = delivery_->incompatibility(*hello); !why.empty()) {
            refuse(peer, why);
            return Ok{};
        }
        if (delivery_->stream() != hello->stream) {
            log_("a new stream (ring created at " + std::to_string(hello->stream) + "): starting at its position " + std::to_string(hello->start));
            delivery_->restart_stream(hello->stream, hello->start);
        } else if (static_cast<std::int64_t>(hello->start - delivery_->delivered()) > 0) {
            log_("the sender no longer holds positions " + std::to_string(delivery_->delivered()) + " to " + std::to_string(hello->start) +
                 " of the stream: they are lost to this ring");
            delivery_->restart_stream(hello->stream, hello->start);
        }
        if (!peer_.empty() && peer != peer_) counters().reconnects.fetch_add(1, std::memory_order_relaxed);
        if (peer != peer_) log_("a sender connected; it resumes at position " + std::to_string(delivery_->delivered()));
        peer_ = peer;
        stream_capacity_ = hello->capacity;
        steps_ = step_rule(*hello);
        epoch_ = hello->epoch;
        resumed_epoch_ = epoch_;
        pending_.clear();
        last_heard_ = LinkClock::now();
        counters().connected.store(1, std::memory_order_relaxed);
        send_to_peer(encode(Position{frame_head(FrameType::resume), delivery_->delivered(), epoch_}));
        acknowledged_ = delivery_->delivered();
        note_delivered();
        return Ok{};
    }

    static StepRule step_rule(const Hello& hello) {
        if (hello.engine == static_cast<std::uint32_t>(layout::Engine::spsc)) return StepRule::bytes;
        if (hello.engine == static_cast<std::uint32_t>(layout::Engine::mpmc)) return StepRule::tickets;
        return hello.policy == static_cast<std::uint32_t>(layout::TopicPolicy::lossless) ? StepRule::one : StepRule::skipping;
    }

    // What no sender may ask of this receiver.
    static std::string out_of_bounds(const Hello& hello) {
        if (hello.max_message > kMaxBridgedMessage) return "messages above " + std::to_string(kMaxBridgedMessage) + " bytes are not bridged";
        const bool slots = hello.engine == static_cast<std::uint32_t>(layout::Engine::mpmc) || hello.engine == static_cast<std::uint32_t>(layout::Engine::topic);
        const std::uint64_t slot = slots ? std::uint64_t{hello.slot_size} + 64 : 1;
        if (hello.capacity == 0 || hello.capacity > kMaxBridgedRingBytes / slot) return "a ring above 1 GiB is not bridged";
        return {};
    }

    void refuse(const std::string& peer, const std::string& why) {
        log_("refused a sender: " + why);
        counters().refused.fetch_add(1, std::memory_order_relaxed);
        send_routed(peer, encode_refusal(why));
    }

    // Writes the pending DATA's records past what the ring holds. blocked: the ring is full.
    Result<Progress> deliver_pending() {
        DataReader reader(pending_, delivery_->max_message(), stream_capacity_, steps_);
        const DataHead head = reader.head();
        // The sender starts a new epoch only when asked to resume: DATA of an older one was sent
        // before it went back, of any other one is not the sender's (a peer cannot push it ahead).
        const bool resumed = head.epoch == epoch_ + 1 && resumed_epoch_ == epoch_ + 1;
        if (!reader.valid() || (head.epoch != epoch_ && !resumed)) {
            pending_.clear();
            return Progress::done;
        }
        epoch_ = head.epoch;
        std::uint64_t before = head.from;  // the position before the next record
        while (const auto record = reader.next()) {
            const std::uint64_t written = delivery_->written_through();
            if (static_cast<std::int64_t>(record->end - written) <= 0) {
                before = record->end;  // held already
                continue;
            }
            if (before != written) {  // records missing in between: a connection lost some
                ask_to_resume();
                break;
            }
            if (steps_ == StepRule::tickets && record->type == kVoidRecord) {  // a position, nothing to write
                delivery_->skip(*record);
                before = record->end;
                continue;
            }
            const Status status = delivery_->write(*record);
            if (status == Status::again) {
                publish();
                return Progress::blocked;
            }
            if (status != Status::ok) return write_error(status);
            before = record->end;
        }
        if (!reader.valid()) log_("dropped a malformed DATA message from the sender");
        pending_.clear();
        return Progress::done;
    }

    Error write_error(Status status) {
        if (status == Status::busy)
            return Error(Errc::busy, "ring '" + settings_.ring + "': another producer writes into it; a bridge must be its only writer");
        return Error(Errc::corrupt, "ring '" + settings_.ring + "': " + describe(status));
    }

    void ask_to_resume() {
        if (resumed_epoch_ == epoch_ + 1) return;  // asked already in this epoch
        resumed_epoch_ = epoch_ + 1;
        log_("records missing before position " + std::to_string(delivery_->written_through()) + ": asking the sender to resume there");
        publish();
        send_to_peer(encode(Position{frame_head(FrameType::resume), delivery_->delivered(), epoch_}));
    }

    // Publishes what was written and tells the sender, when the ring holds more than it was told
    // or DATA came since (even DATA the ring held already: the sender keeps it until told).
    void publish() {
        delivery_->publish();
        if (!ack_due_ && delivery_->delivered() == acknowledged_) return;
        ack_due_ = false;
        acknowledged_ = delivery_->delivered();
        note_delivered();
        send_to_peer(encode(Position{frame_head(FrameType::ack), delivery_->delivered(), 0}));
    }

    void note_delivered() {
        auto& c = counters();
        c.messages.store(delivery_->messages(), std::memory_order_relaxed);
        c.bytes.store(delivery_->bytes(), std::memory_order_relaxed);
        c.acknowledged.store(delivery_->delivered(), std::memory_order_relaxed);
    }

    Outcome wait_for_room() {
        DataReader reader(pending_, delivery_->max_message(), stream_capacity_, steps_);
        std::size_t length = 0;
        while (const auto record = reader.next()) {
            if (static_cast<std::int64_t>(record->end - delivery_->written_through()) > 0) {
                length = record->payload.size();
                break;
            }
        }
        const Status status = delivery_->wait_for_room(length, deadline_after(kRoomWait));
        if (status == Status::corrupt) return write_error(status);
        return Ok{};
    }

    // Heartbeats to a quiet sender, and the connected flag.
    void keep_alive() {
        const auto now = LinkClock::now();
        if (!peer_.empty() && now - last_sent_ >= settings_.heartbeat) {
            send_to_peer(encode(frame_head(FrameType::heartbeat)));
            state_.touch();
        }
        // A receiver waiting for room reads nothing: the sender's silence then proves nothing.
        if (!pending_.empty()) last_heard_ = now;
        if (!peer_.empty() && now - last_heard_ > kSilentBeats * settings_.heartbeat) {
            log_("the sender went quiet; waiting for it to connect again");
            peer_.clear();
            counters().connected.store(0, std::memory_order_relaxed);
        }
    }

    const ReceiverSettings& settings_;
    Log log_;
    BridgeState state_;
    std::optional<KeyPair> keys_;
    std::set<std::string> allowed_;
    zmq::context_t context_;
    std::optional<Gatekeeper> gatekeeper_;  // before the socket: bound before it
    std::optional<zmq::socket_t> socket_;
    std::optional<zmq::socket_t> monitor_;
    std::optional<Delivery> delivery_;
    std::vector<zmq::message_t> pending_;  // the frames of a DATA message not yet wholly written
    std::string peer_;                       // the routing id of the current sender
    bool ack_due_ = false;                   // DATA came since the last ACK
    std::uint64_t acknowledged_ = 0;         // the position the last ACK (or RESUME) gave
    std::uint64_t stream_capacity_ = 0;      // of the sender's ring: no record steps further
    StepRule steps_ = StepRule::bytes;       // how the stream's positions move on
    std::uint64_t epoch_ = 0;
    std::uint64_t resumed_epoch_ = 0;        // epoch + 1 once this epoch asked to resume
    LinkClock::time_point last_heard_;
    LinkClock::time_point last_sent_;
};

}  // namespace

}  // namespace detail

Outcome run_receiver(const ReceiverSettings& settings) {
    if (settings.endpoint.empty()) return Error(Errc::invalid_argument, "bridge recv: no endpoint to listen on (--listen)");
    if (settings.heartbeat.count() <= 0) return Error(Errc::invalid_argument, "bridge recv: the heartbeat must be positive");
    std::optional<detail::KeyPair> keys;
    std::set<std::string> allowed;
    if (!settings.security.key_file.empty()) {
        auto pair = detail::read_key_file(settings.security.key_file, true);
        if (!pair) return pair.error();
        keys = std::move(*pair);
        for (const std::string& file : settings.security.client_key_files) {
            auto client = detail::read_key_file(file, false);
            if (!client) return client.error();
            allowed.insert(client->public_key);
        }
    } else if (!settings.security.client_key_files.empty()) {
        return Error(Errc::invalid_argument, "bridge recv: allowed sender keys need CURVE (--curve-key)");
    }
    auto state = detail::BridgeState::acquire(settings.ring, Side::receiver);
    if (!state) return state.error();
    try {
        detail::Receiver receiver(settings, std::move(*state), std::move(keys), std::move(allowed));
        return receiver.run();
    } catch (const zmq::error_t& error) {
        return Error(Errc::invalid_argument, "bridge recv on '" + settings.endpoint + "': " + error.what(), error.num());
    }
}

Result<std::optional<Statistics>> read_statistics(std::string_view ring, Side side) { return detail::read_state(ring, side); }

}  // namespace shmring::bridge
