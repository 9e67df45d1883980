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
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace shmring::bridge::detail {

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

static_assert(sizeof(FrameHead) == 8 && sizeof(Hello) == 64 && sizeof(Position) == 24 && sizeof(DataHead) == 32 &&
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

// Builds one DATA message, record by record, in a buffer kept from message to message.
class DataBuilder {
public:
    void start(std::uint64_t epoch, std::uint64_t from) {
        bytes_.resize(sizeof(DataHead));
        head_ = {frame_head(FrameType::data), epoch, from, 0, 0};
        payload_bytes_ = 0;
    }
    void add(std::uint64_t end, std::uint32_t type, std::span<const std::byte> payload) {
        const RecordHead record{end, static_cast<std::uint32_t>(payload.size()), type};
        const std::size_t at = bytes_.size();
        bytes_.resize(at + sizeof record + payload.size());
        std::memcpy(bytes_.data() + at, &record, sizeof record);
        if (!payload.empty()) std::memcpy(bytes_.data() + at + sizeof record, payload.data(), payload.size());
        ++head_.count;
        payload_bytes_ += payload.size();
        last_end_ = end;
    }
    std::span<const std::byte> finish() {
        std::memcpy(bytes_.data(), &head_, sizeof head_);
        return bytes_;
    }
    std::uint32_t count() const noexcept { return head_.count; }
    std::size_t size() const noexcept { return bytes_.size(); }
    std::uint64_t payload_bytes() const noexcept { return payload_bytes_; }
    std::uint64_t last_end() const noexcept { return last_end_; }

private:
    std::vector<std::byte> bytes_;
    DataHead head_{};
    std::uint64_t payload_bytes_ = 0;
    std::uint64_t last_end_ = 0;
};

struct Record {
    std::uint64_t end;
    std::uint32_t type;
    std::span<const std::byte> payload;
};

// Walks the records of a DATA message. valid() is false, from the first bad record on, when a
// record overruns the message, is longer than `max_message`, or does not move the position on.
class DataReader {
public:
    DataReader(std::span<const std::byte> message, std::uint32_t max_message) : message_(message), max_message_(max_message) {
        ok_ = message.size() >= sizeof head_;
        if (ok_) std::memcpy(&head_, message.data(), sizeof head_);
        at_ = sizeof head_;
        last_end_ = head_.from;
    }
    const DataHead& head() const noexcept { return head_; }
    bool valid() const noexcept { return ok_; }
    std::uint32_t index() const noexcept { return index_; }

    // The next record, or nothing at the end or at the first bad one (then valid() is false).
    std::optional<Record> next() {
        if (!ok_ || index_ == head_.count) {
            ok_ = ok_ && at_ == message_.size();
            return std::nullopt;
        }
        RecordHead record{};
        if (message_.size() - at_ < sizeof record) return fail();
        std::memcpy(&record, message_.data() + at_, sizeof record);
        at_ += sizeof record;
        if (record.length > max_message_ || message_.size() - at_ < record.length) return fail();
        // Each record moves the position on by at least its header (ring positions grow).
        if (static_cast<std::int64_t>(record.end - last_end_) <= 0) return fail();
        last_end_ = record.end;
        const Record out{record.end, record.type, message_.subspan(at_, record.length)};
        at_ += record.length;
        ++index_;
        return out;
    }

private:
    std::optional<Record> fail() {
        ok_ = false;
        return std::nullopt;
    }
    std::span<const std::byte> message_;
    std::uint32_t max_message_;
    DataHead head_{};
    std::size_t at_ = 0;
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
