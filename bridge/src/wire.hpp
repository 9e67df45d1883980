// Internal. The bridge's messages on the wire: one ZeroMQ message each, little-endian fields
// copied in and out with memcpy (x86-64 and the other little-endian hosts shmring runs on).
// Everything decoded is checked against the message's size before use: the peer is untrusted.
//
//   sender -> receiver   HELLO      the source ring's geometry, its stream, where custody starts
//                        DATA       records: [end position, length, type, payload] ...
//                        HEARTBEAT
//   receiver -> sender   RESUME     "I hold the stream through position P: send from there"
//                        ACK        the same, without asking for anything to be sent again
//                        HEARTBEAT
//                        REFUSE     a reason the sender cannot mend by retrying (another kind)
//
// Epochs. Each time the sender (re)starts its stream from a position (after HELLO, after a
// RESUME) it starts a new epoch, and stamps every DATA with it. The receiver ignores DATA of an
// older epoch (sent before the sender went back) and asks once per epoch to resume when DATA
// does not start where it stands (a connection that lost messages).
#pragma once

#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "shmring/layout.hpp"

namespace shmring::bridge::detail {

// A DATA message closes once its first frame holds this much (one larger record makes it
// larger), or its large payloads, each a frame of its own sent in place, this much: fewer, larger
// messages for large records, whose cost per message (frames to route, a wake-up of the
// receiver) would otherwise count against each 64 KiB chunk.
inline constexpr std::size_t kDataBatchBytes = 64 * 1024;
inline constexpr std::size_t kDataBatchOutOfLineBytes = 1024 * 1024;
// The largest ring a receiver creates for a sender, and the largest record it carries.
inline constexpr std::uint64_t kMaxBridgedRingBytes = std::uint64_t{1} << 30;
inline constexpr std::uint32_t kMaxBridgedMessage = 16U << 20;
// The largest frame of a DATA message: ZeroMQ refuses longer ones before they take memory.
inline constexpr std::size_t kMaxDataFrame = 32 + kDataBatchBytes + 16 + kMaxBridgedMessage;

// In the stream of an MPMC queue, the record of a void ticket (a claim its producer gave up): no
// payload, nothing to write, only a position to confirm, so that the source hands its slot back.
inline constexpr std::uint32_t kVoidRecord = 1;

inline constexpr std::uint32_t kWireMagic = 0x47425253U;  // "SRBG"
inline constexpr std::uint16_t kWireVersion = 1;

enum class FrameType : std::uint8_t { hello = 1, resume = 2, data = 3, ack = 4, heartbeat = 5, refuse = 6 };

struct FrameHead {
    std::uint32_t magic;
    std::uint16_t version;
    std::uint8_t type;
    std::uint8_t reserved;
};

struct Hello {
    FrameHead head;
    std::uint32_t engine;  // layout::Engine
    std::uint32_t kind;    // layout::ChannelKind
    std::uint64_t stream;  // the source ring's identity: its creation time
    std::uint64_t start;   // the position of the first record the sender still holds
    std::uint64_t epoch;
    std::uint64_t capacity;
    std::uint64_t max_messages;
    std::uint32_t slot_size;
    std::uint32_t max_message;
    std::uint32_t policy;  // topics: layout::TopicPolicy
    std::uint32_t reserved;
};

// RESUME and ACK.
struct Position {
    FrameHead head;
    std::uint64_t delivered;
    std::uint64_t epoch;  // RESUME: the epoch it answers; ACK: 0
};

struct DataHead {
    FrameHead head;
    std::uint64_t epoch;
    std::uint64_t from;  // the position after the record before the first one here
    std::uint32_t count;
    std::uint32_t reserved;
};

struct RecordHead {
    std::uint64_t end;  // the position after this record
    std::uint32_t length;
    std::uint32_t type;
};

static_assert(sizeof(FrameHead) == 8 && sizeof(Hello) == 72 && sizeof(Position) == 24 && sizeof(DataHead) == 32 &&
                  sizeof(RecordHead) == 16,
              "wire structures have no hidden padding");

inline FrameHead frame_head(FrameType type) { return {kWireMagic, kWireVersion, static_cast<std::uint8_t>(type), 0}; }

template <class T>
std::vector<std::byte> encode(const T& frame) {
    std::vector<std::byte> bytes(sizeof frame);
    std::memcpy(bytes.data(), &frame, sizeof frame);
    return bytes;
}

// The type of a message whose head is ours, or nothing.
inline std::optional<FrameType> frame_type(std::span<const std::byte> message) {
    FrameHead head{};
    if (message.size() < sizeof head) return std::nullopt;
    std::memcpy(&head, message.data(), sizeof head);
    if (head.magic != kWireMagic || head.version != kWireVersion || head.type < 1 || head.type > 6) return std::nullopt;
    return static_cast<FrameType>(head.type);
}

// A fixed-size frame, when the message is exactly one.
template <class T>
std::optional<T> decode(std::span<const std::byte> message) {
    if (message.size() != sizeof(T)) return std::nullopt;
    T frame;
    std::memcpy(&frame, message.data(), sizeof frame);
    return frame;
}

// A payload of at least this many bytes travels out of line: in a frame of its own that ZeroMQ
// sends straight from the source ring, without a copy. Smaller ones are copied into the first
// frame after their record's head, where a frame each would cost more than the copy.
inline constexpr std::uint32_t kOutOfLinePayload = 4096;

// Builds one DATA message: a first frame with the head and every record's head (and the small
// payloads), then one frame per large payload, in record order. finish() hands the first frame's
// buffer to ZeroMQ whole (no copy; ZeroMQ frees it once sent).
//
// Why a large payload may be sent from the ring in place: the sender gives a record's room back
// only once the receiver confirms it, through the socket that sent it, after a RESUME on that
// socket. Every earlier message on that socket that pointed at the same bytes went out before
// (a socket is first in, first out), and messages of closed sockets go only to connections whose
// frames the receiver no longer takes (it serves one routing id, the last to say HELLO).
class DataBuilder {
public:
    DataBuilder() = default;
    DataBuilder(const DataBuilder&) = delete;
    DataBuilder& operator=(const DataBuilder&) = delete;
    ~DataBuilder() { std::free(bytes_); }

    void start(std::uint64_t epoch, std::uint64_t from) {
        size_ = 0;
        reserve(sizeof(DataHead));
        size_ = sizeof(DataHead);
        head_ = {frame_head(FrameType::data), epoch, from, 0, 0};
        payload_bytes_ = 0;
        out_of_line_bytes_ = 0;
        out_of_line_.clear();
    }
    // A payload that `stays` where it is until the message is sent (in custody) may be sent from
    // there; any other is copied.
    void add(std::uint64_t end, std::uint32_t type, std::span<const std::byte> payload, bool stays) {
        const RecordHead record{end, static_cast<std::uint32_t>(payload.size()), type};
        const bool inline_payload = payload.size() < kOutOfLinePayload;
        reserve(size_ + sizeof record + (inline_payload ? payload.size() : 0));
        std::memcpy(bytes_ + size_, &record, sizeof record);
        size_ += sizeof record;
        if (!inline_payload) {
            // A large payload that does not stay is copied into its frame now (ZeroMQ copies).
            auto* data = const_cast<std::byte*>(payload.data());  // ZeroMQ only reads it
            out_of_line_.push_back(stays ? zmq::message_t(data, payload.size(), nullptr, nullptr) : zmq::message_t(data, payload.size()));
            out_of_line_bytes_ += payload.size();
        } else if (!payload.empty()) {
            std::memcpy(bytes_ + size_, payload.data(), payload.size());
            size_ += payload.size();
        }
        ++head_.count;
        payload_bytes_ += payload.size();
        last_end_ = end;
    }
    // Sends the message on `socket` without waiting; false when ZeroMQ cannot take it now. The
    // builder starts again with a new buffer either way.
    bool send(zmq::socket_t& socket) {
        std::memcpy(bytes_, &head_, sizeof head_);
        zmq::message_t first(bytes_, size_, [](void* data, void*) { std::free(data); }, nullptr);
        bytes_ = nullptr;
        capacity_ = 0;
        const auto more = [&](std::size_t i) { return i < out_of_line_.size() ? zmq::send_flags::sndmore : zmq::send_flags::none; };
        if (!socket.send(first, more(0) | zmq::send_flags::dontwait)) return false;
        // Once the first frame is taken, the rest of a multipart message is too (it is atomic).
        for (std::size_t i = 0; i < out_of_line_.size(); ++i) socket.send(out_of_line_[i], more(i + 1) | zmq::send_flags::dontwait);
        out_of_line_.clear();
        return true;
    }
    std::uint32_t count() const noexcept { return head_.count; }
    bool full() const noexcept { return size_ >= kDataBatchBytes || out_of_line_bytes_ >= kDataBatchOutOfLineBytes; }
    std::uint64_t payload_bytes() const noexcept { return payload_bytes_; }
    std::uint64_t last_end() const noexcept { return last_end_; }

private:
    void reserve(std::size_t size) {
        if (size <= capacity_) return;
        const std::size_t capacity = std::max<std::size_t>({size, 2 * capacity_, 64 * 1024 + 4096});
        auto* grown = static_cast<std::byte*>(std::realloc(bytes_, capacity));
        if (grown == nullptr) throw std::bad_alloc();
        bytes_ = grown;
        capacity_ = capacity;
    }

    std::byte* bytes_ = nullptr;
    std::size_t capacity_ = 0;
    std::size_t size_ = 0;
    DataHead head_{};
    std::uint64_t payload_bytes_ = 0;
    std::uint64_t out_of_line_bytes_ = 0;
    std::uint64_t last_end_ = 0;
    std::vector<zmq::message_t> out_of_line_;  // the frames of the large payloads
};

struct Record {
    std::uint64_t end;
    std::uint32_t type;
    std::span<const std::byte> payload;
};

// How far one record may move a stream's position on.
enum class StepRule {
    bytes,      // the source ring's byte positions (SPSC): its header and payload, at most the ring
    tickets,    // an MPMC queue's tickets: exactly one, a message or a void (kVoidRecord)
    one,        // a lossless topic's sequence numbers: exactly one
    skipping,   // a lossy topic's: one, or more when the source lost messages (below 2^62)
};

// Walks the records of a DATA message (its frames). valid() is false, from the first bad record
// on, when a record overruns its frame, is longer than `max_message`, or moves the position on by
// less than its header and payload or by more than the source ring's `capacity` (positions are
// its bytes), or when the frames are not exactly one per large payload.
class DataReader {
public:
    DataReader(std::span<const zmq::message_t> frames, std::uint32_t max_message, std::uint64_t capacity, StepRule steps)
        : frames_(frames), max_message_(max_message), capacity_(capacity), steps_(steps) {
        ok_ = !frames.empty() && frames[0].size() >= sizeof head_;
        if (ok_) {
            message_ = {static_cast<const std::byte*>(frames[0].data()), frames[0].size()};
            std::memcpy(&head_, message_.data(), sizeof head_);
        }
        at_ = sizeof head_;
        last_end_ = head_.from;
    }
    const DataHead& head() const noexcept { return head_; }
    bool valid() const noexcept { return ok_; }

    // The next record, or nothing at the end or at the first bad one (then valid() is false).
    std::optional<Record> next() {
        if (!ok_ || index_ == head_.count) {
            ok_ = ok_ && at_ == message_.size() && next_frame_ == frames_.size();
            return std::nullopt;
        }
        RecordHead record{};
        if (message_.size() - at_ < sizeof record) return fail();
        std::memcpy(&record, message_.data() + at_, sizeof record);
        at_ += sizeof record;
        if (record.length > max_message_) return fail();
        const std::uint64_t step = record.end - last_end_;
        if (!step_allowed(step, record.length)) return fail();
        if (steps_ == StepRule::tickets && record.type != 0 && !(record.type == kVoidRecord && record.length == 0)) return fail();
        std::span<const std::byte> payload;
        if (record.length >= kOutOfLinePayload) {
            if (next_frame_ == frames_.size() || frames_[next_frame_].size() != record.length) return fail();
            payload = {static_cast<const std::byte*>(frames_[next_frame_].data()), record.length};
            ++next_frame_;
        } else {
            if (message_.size() - at_ < record.length) return fail();
            payload = message_.subspan(at_, record.length);
            at_ += record.length;
        }
        last_end_ = record.end;
        ++index_;
        return Record{record.end, record.type, payload};
    }

private:
    bool step_allowed(std::uint64_t step, std::uint32_t length) const noexcept {
        switch (steps_) {
            case StepRule::bytes: return step >= sizeof(layout::RecordHeader) + length && step <= capacity_;
            case StepRule::tickets:
            case StepRule::one: return step == 1;
            case StepRule::skipping: return step >= 1 && step < (std::uint64_t{1} << 62);
        }
        return false;
    }
    std::optional<Record> fail() {
        ok_ = false;
        return std::nullopt;
    }
    std::span<const zmq::message_t> frames_;
    std::span<const std::byte> message_;
    std::uint32_t max_message_;
    std::uint64_t capacity_;
    StepRule steps_;
    DataHead head_{};
    std::size_t at_ = 0;
    std::size_t next_frame_ = 1;
    std::uint32_t index_ = 0;
    std::uint64_t last_end_ = 0;
    bool ok_ = false;
};

inline std::vector<std::byte> encode_refusal(const std::string& reason) {
    std::vector<std::byte> bytes(sizeof(FrameHead) + reason.size());
    const FrameHead head = frame_head(FrameType::refuse);
    std::memcpy(bytes.data(), &head, sizeof head);
    std::memcpy(bytes.data() + sizeof head, reason.data(), reason.size());
    return bytes;
}

inline std::string decode_refusal(std::span<const std::byte> message) {
    std::string reason(reinterpret_cast<const char*>(message.data()) + sizeof(FrameHead), message.size() - sizeof(FrameHead));
    for (char& c : reason)
        if (c < 0x20 || c > 0x7e) c = '?';  // the peer's words, printed: nothing that moves a terminal
    return reason;
}

}  // namespace shmring::bridge::detail
