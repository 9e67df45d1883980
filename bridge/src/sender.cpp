// The sender: custody source -> DEALER socket -> the receiver's ROUTER.
#include <cerrno>
#include <deque>
#include <thread>

#include "bridge_state.hpp"
#include "curve.hpp"
#include "source.hpp"
#include "link.hpp"
#include "wire.hpp"

namespace shmring::bridge {

namespace detail {

namespace {

constexpr int kSilentBeats = 4;                 // heartbeats of silence before the link counts as lost

// One DATA message not yet wholly confirmed.
struct Batch {
    std::uint64_t end;
    std::uint64_t messages;
    std::uint64_t bytes;
};

class Sender {
public:
    Sender(const SenderSettings& settings, BridgeState state, std::unique_ptr<Source> source, std::optional<KeyPair> keys,
           std::string server_key)
        : settings_(settings),
          log_(settings, "send"),
          state_(std::move(state)),
          source_(std::move(source)),
          keys_(std::move(keys)),
          server_key_(std::move(server_key)) {}

    Outcome run() {
        auto fd = source_->poll_fd();
        if (!fd) return fd.error();
        source_fd_ = *fd;
        bool first = true;
        while (!stop_requested(settings_)) {
            if (!first) counters().reconnects.fetch_add(1, std::memory_order_relaxed);
            first = false;
            auto started = start_link();
            if (!started) return started.error();
            if (!*started) continue;  // no answer: try again with a new socket
            auto streamed = stream();
            if (!streamed) return streamed.error();
        }
        return Ok{};
    }

private:
    StateCounters& counters() noexcept { return state_.counters(); }

    void new_socket() {
        socket_.emplace(context_, zmq::socket_type::dealer);
        configure_socket(*socket_);
        if (keys_) {
            socket_->set(zmq::sockopt::curve_serverkey, server_key_);
            socket_->set(zmq::sockopt::curve_publickey, keys_->public_key);
            socket_->set(zmq::sockopt::curve_secretkey, keys_->secret_key);
        }
        socket_->connect(settings_.endpoint);
    }

    // A new socket, HELLO, and the receiver's RESUME. True: streaming may start; false: no answer
    // within the silence limit (or a stop).
    Result<bool> start_link() {
        new_socket();
        ++epoch_;
        counters().connected.store(0, std::memory_order_relaxed);
        const auto hello = source_->hello(epoch_);
        send_frame(*socket_, encode(hello));
        const auto deadline = LinkClock::now() + kSilentBeats * settings_.heartbeat;
        while (LinkClock::now() < deadline && !stop_requested(settings_)) {
            zmq::pollitem_t items[] = {{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0}};
            poll_items(items, 1, settings_.heartbeat);
            zmq::message_t message;
            while (receive_now(*socket_, message)) {
                const auto type = frame_type(bytes_of(message));
                if (type == FrameType::refuse) return Error(Errc::invalid_argument, "the receiver refused: " + decode_refusal(bytes_of(message)));
                if (type != FrameType::resume) continue;
                const auto resume = decode<Position>(bytes_of(message));
                if (!resume || resume->epoch != epoch_) continue;
                auto resumed = resume_at(resume->delivered);
                if (!resumed) return resumed.error();
                if (!*resumed) return false;
                if (unanswered_ != 0) log_("the receiver at " + settings_.endpoint + " answered");
                unanswered_ = 0;
                log_("streaming to " + settings_.endpoint + " from position " + std::to_string(resume->delivered));
                counters().connected.store(1, std::memory_order_relaxed);
                last_heard_ = last_sent_ = LinkClock::now();
                return true;
            }
        }
        if (unanswered_++ % 20 == 0)
            log_("no answer from " + settings_.endpoint + (keys_ ? " (is a receiver listening there, and is its key the one given?)" : " (is a receiver listening there?)"));
        return false;
    }

    // Reads forward to where the receiver stands. False: it stands before what the ring still
    // holds, so the stream starts again with a new HELLO (the receiver then counts the gap).
    Result<bool> resume_at(std::uint64_t position) {
        in_flight_.clear();
        sent_end_ = position;
        switch (source_->resume_at(position)) {
            case Source::Resume::ok:
                note_confirmed();
                return true;
            case Source::Resume::behind:
                log_("the receiver holds the stream through " + std::to_string(position) + ", before what this ring still holds (" +
                     std::to_string(source_->confirmed()) + "): starting again from there");
                return false;
            case Source::Resume::off_grid:
                log_("the receiver asks for position " + std::to_string(position) + ", where no record of this ring ends: dropping the link");
                return false;
            case Source::Resume::corrupt:
                break;
        }
        return Error(Errc::corrupt, "ring '" + settings_.ring + "' is corrupt");
    }

    // Streams until the link is lost (Ok) or an error that retrying cannot mend.
    Outcome stream() {
        while (!stop_requested(settings_)) {
            auto pumped = pump();
            if (!pumped) return pumped.error();
            bool progress = *pumped;
            zmq::message_t message;
            while (receive_now(*socket_, message)) {
                progress = true;
                auto handled = on_message(message);
                if (!handled) return handled.error();
                if (!*handled) return Ok{};  // the receiver asked to start again
            }
            const auto now = LinkClock::now();
            if (now - last_sent_ >= settings_.heartbeat) {
                send_frame(*socket_, encode(frame_head(FrameType::heartbeat)));
                last_sent_ = now;
                state_.touch();
            }
            if (now - last_heard_ > kSilentBeats * settings_.heartbeat) {
                log_("lost the receiver at " + settings_.endpoint + ": nothing heard for " +
                     std::to_string(kSilentBeats * settings_.heartbeat.count()) + " ms; reconnecting");
                return Ok{};
            }
            if (!progress) idle();
        }
        return Ok{};
    }

    bool window_full() const noexcept { return source_->unconfirmed_bytes() >= settings_.window_bytes; }

    // Reads records into one DATA message and sends it. True when it sent one.
    Result<bool> pump() {
        if (window_full()) return false;
        batch_.start(epoch_, sent_end_);
        std::uint64_t voids = 0;  // records that are no message (an MPMC queue's void tickets)
        while (!batch_.full() && !window_full()) {
            const SourceRecord record = source_->next();
            if (record.status == Status::again) {
                source_->rearm();
                break;
            }
            if (record.status == Status::busy)
                return Error(Errc::busy, "ring '" + settings_.ring + "': another consumer takes from it; a bridged queue must have the bridge as its only consumer");
            if (record.status != Status::ok) return Error(Errc::corrupt, "ring '" + settings_.ring + "': " + describe(record.status));
            batch_.add(record.end, record.type, record.payload, record.stays);
            voids += record.void_ticket ? 1 : 0;
            sent_end_ = record.end;
        }
        counters().lost.store(source_->lost(), std::memory_order_relaxed);
        if (batch_.count() == 0) return false;
        // Unsent (no peer now): custody sends the records again after the resume.
        if (!batch_.send(*socket_)) return false;
        in_flight_.push_back({batch_.last_end(), batch_.count() - voids, batch_.payload_bytes()});
        counters().in_flight.fetch_add(batch_.count() - voids, std::memory_order_relaxed);
        counters().in_flight_bytes.fetch_add(batch_.payload_bytes(), std::memory_order_relaxed);
        last_sent_ = LinkClock::now();
        return true;
    }

    // False: the link must start again (a RESUME of this epoch).
    Result<bool> on_message(const zmq::message_t& message) {
        const auto bytes = bytes_of(message);
        const auto type = frame_type(bytes);
        if (!type) return true;  // not ours: ignored
        last_heard_ = LinkClock::now();
        if (type == FrameType::ack) {
            if (const auto ack = decode<Position>(bytes)) confirm_through(ack->delivered);
        } else if (type == FrameType::resume) {
            const auto resume = decode<Position>(bytes);
            if (resume && resume->epoch == epoch_) {
                log_("the receiver asked to resume at position " + std::to_string(resume->delivered));
                ++epoch_;
                auto resumed = resume_at(resume->delivered);
                if (!resumed) return resumed.error();
                return *resumed;
            }
        } else if (type == FrameType::refuse) {
            return Error(Errc::invalid_argument, "the receiver refused: " + decode_refusal(bytes));
        }
        return true;
    }

    // Confirms through the end of the last batch the receiver holds wholly: a position the sender
    // itself sent as a record's end, never one the receiver made up (it could be mid-record).
    void confirm_through(std::uint64_t delivered) {
        std::uint64_t end = 0;
        bool found = false;
        for (const Batch& batch : in_flight_) {
            if (static_cast<std::int64_t>(delivered - batch.end) < 0) break;
            end = batch.end;
            found = true;
        }
        if (found && source_->confirm(end)) note_confirmed();
    }

    // Counts the batches the receiver now holds wholly.
    void note_confirmed() {
        const std::uint64_t confirmed = source_->confirmed();
        std::uint64_t messages = 0;
        std::uint64_t bytes = 0;
        while (!in_flight_.empty() && static_cast<std::int64_t>(confirmed - in_flight_.front().end) >= 0) {
            messages += in_flight_.front().messages;
            bytes += in_flight_.front().bytes;
            in_flight_.pop_front();
        }
        std::uint64_t flying = 0;
        std::uint64_t flying_bytes = 0;
        for (const Batch& batch : in_flight_) {
            flying += batch.messages;
            flying_bytes += batch.bytes;
        }
        auto& c = counters();
        c.messages.fetch_add(messages, std::memory_order_relaxed);
        c.bytes.fetch_add(bytes, std::memory_order_relaxed);
        c.in_flight.store(flying, std::memory_order_relaxed);
        c.in_flight_bytes.store(flying_bytes, std::memory_order_relaxed);
        c.acknowledged.store(confirmed, std::memory_order_relaxed);
    }

    // Sleeps until the socket or (with room in the window) the ring has something, or a heartbeat is due.
    void idle() {
        zmq::pollitem_t items[] = {{static_cast<void*>(*socket_), 0, ZMQ_POLLIN, 0}, {nullptr, source_fd_, ZMQ_POLLIN, 0}};
        poll_items(items, window_full() ? 1 : 2, settings_.heartbeat);
    }

    const SenderSettings& settings_;
    Log log_;
    BridgeState state_;
    std::unique_ptr<Source> source_;
    std::uint64_t sent_end_ = 0;  // the end of the last record sent: the next DATA follows on from it
    std::optional<KeyPair> keys_;
    std::string server_key_;
    zmq::context_t context_;
    std::optional<zmq::socket_t> socket_;
    int source_fd_ = -1;
    std::uint64_t epoch_ = 0;
    std::uint64_t unanswered_ = 0;
    DataBuilder batch_;
    std::deque<Batch> in_flight_;
    LinkClock::time_point last_heard_;
    LinkClock::time_point last_sent_;
};

}  // namespace

}  // namespace detail

Outcome run_sender(const SenderSettings& settings) {
    if (settings.endpoint.empty()) return Error(Errc::invalid_argument, "bridge send: no endpoint to connect to (--to)");
    if (settings.heartbeat.count() <= 0 || settings.window_bytes == 0) return Error(Errc::invalid_argument, "bridge send: heartbeat and window must be positive");
    std::optional<detail::KeyPair> keys;
    std::string server_key;
    if (!settings.security.key_file.empty()) {
        auto pair = detail::read_key_file(settings.security.key_file, true);
        if (!pair) return pair.error();
        if (settings.security.server_key_file.empty()) return Error(Errc::invalid_argument, "bridge send: CURVE needs the receiver's public key (--server-key)");
        auto server = detail::read_key_file(settings.security.server_key_file, false);
        if (!server) return server.error();
        keys = std::move(*pair);
        server_key = server->public_key;
    }
    auto state = detail::BridgeState::acquire(settings.ring, Side::sender);
    if (!state) return state.error();
    auto source = detail::attach_source(settings.ring);
    if (!source) return source.error();
    try {
        detail::Sender sender(settings, std::move(*state), std::move(*source), std::move(keys), std::move(server_key));
        return sender.run();
    } catch (const zmq::error_t& error) {
        return Error(Errc::invalid_argument, "bridge send to '" + settings.endpoint + "': " + error.what(), error.num());
    }
}

}  // namespace shmring::bridge
