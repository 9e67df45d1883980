// RingView: the blocks of one formatted ring, wherever its bytes live: a shared segment
// (RingSegment) or a buffer of this process (the protocol unit tests). The ring protocols
// (detail/spsc_protocol.hpp, detail/mpmc_protocol.hpp) run over a view and nothing else.
//
// A view is a reference, like std::span: copying it copies the reference, and a const view still
// lends writable blocks. Whoever holds one may write the ring; the validated geometry is a copy
// made when the ring was opened, so the data path never re-reads the shared header.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/segment.hpp"

namespace shmring {

struct RingConfig {
    layout::Engine engine = layout::Engine::spsc;
    layout::ChannelKind kind = layout::ChannelKind::raw;
    std::uint64_t capacity = 0;   // SPSC: data bytes; MPMC and topics: slots. A power of two.
    std::uint32_t slot_size = 0;  // MPMC and topics: largest message in bytes
    std::uint32_t max_message = 0;  // SPSC: largest message, 0 for the most the capacity allows
    std::uint64_t max_messages = 0;  // queues: the most messages held at once; topics: the capacity asked for; services: calls
    layout::TopicPolicy topic_policy = layout::TopicPolicy::lossless;
    std::uint32_t max_response = 0;  // services: largest response (max_message: largest request; slot_size: 8)
    std::uint32_t initial_count = 0;  // semaphores: the count at creation (max_messages: the largest)
    unsigned mode = 0600;
    SegmentOptions options;
};

// The configuration of a cell, lock or semaphore before its own fields (cell: slot_size;
// semaphore: max_messages and initial_count).
inline RingConfig state_config(layout::Engine engine, unsigned mode, const SegmentOptions& options) {
    RingConfig config;
    config.engine = engine;
    config.capacity = engine == layout::Engine::cell ? layout::kCellBuffers : 1;
    config.mode = mode;
    config.options = options;
    return config;
}

// The process-local, validated copy of a header.
struct RingGeometry {
    layout::Engine engine;
    layout::ChannelKind kind;
    std::uint64_t capacity;
    std::uint64_t mask;
    std::uint32_t slot_size;
    std::uint32_t slot_stride;
    std::uint32_t max_message;
    std::uint64_t max_messages;   // queues: the most messages held at once; 0: as many as fit. Topics: as asked. Services: calls
    layout::TopicPolicy topic_policy;
    std::uint32_t max_request;    // services: the request area of a call
    std::uint32_t max_response;   // services: the response area of a call
    std::uint32_t call_stride;    // services: bytes per call slot
    std::uint64_t calls_offset;   // services: where the call slots start in the data area
    std::uint64_t record_stride;  // SPSC queues: the bytes every record spans; 0: its own size
    std::uint64_t header_size;
    std::uint64_t total_size;
};

// Size of the object that holds a ring of this configuration; an error if it is out of range.
Result<std::uint64_t> ring_total_size(const RingConfig& config, std::string_view name);

// Checks a header copied out of a segment of `object_size` bytes. Pure: the tool uses it too.
// The context names the ring in the error.
Result<RingGeometry> validate_header(const layout::SegmentHeader& header, std::uint64_t object_size,
                                     std::string_view context);

// Writes the header and the initial slot states of a ring of `config` into `base`, which holds
// ring_total_size(config) zeroed bytes, and returns its geometry. The `state` word stays 0 (not
// ready): publishing the ring is the creator's last step. The calling process is recorded as creator.
Result<RingGeometry> format_ring(std::byte* base, const RingConfig& config, std::string_view name);

class RingView {
public:
    RingView() = default;
    RingView(std::byte* base, const RingGeometry& geometry) noexcept : base_(base), geometry_(geometry) {}

    const RingGeometry& geometry() const noexcept { return geometry_; }

    layout::SegmentHeader& header() const noexcept { return at<layout::SegmentHeader>(layout::kHeaderOffset); }
    layout::ControlBlock& control() const noexcept { return at<layout::ControlBlock>(layout::kControlOffset); }
    layout::ProducerBlock& producer() const noexcept { return at<layout::ProducerBlock>(layout::kProducerOffset); }
    layout::ConsumerBlock& consumer() const noexcept { return at<layout::ConsumerBlock>(layout::kConsumerOffset); }
    layout::WaitEvent& data_event() const noexcept { return at<layout::WaitEvent>(layout::kDataEventOffset); }
    layout::WaitEvent& space_event() const noexcept { return at<layout::WaitEvent>(layout::kSpaceEventOffset); }
    layout::EndpointEntry& endpoint(std::uint32_t index) const noexcept {
        return at<layout::EndpointEntry>(layout::kRegistryOffset + index * sizeof(layout::EndpointEntry));
    }
    std::byte* data() const noexcept { return base_ + geometry_.header_size; }

    // Records that an endpoint found a broken invariant, for the tool and for later attachers.
    // Relaxed: a flag for people; nothing is ordered by it.
    void mark_corrupt() const noexcept { control().corrupt.store(1, std::memory_order_relaxed); }

private:
    template <class T>
    T& at(std::size_t offset) const noexcept { return *reinterpret_cast<T*>(base_ + offset); }

    std::byte* base_ = nullptr;
    RingGeometry geometry_{};
};

}  // namespace shmring
