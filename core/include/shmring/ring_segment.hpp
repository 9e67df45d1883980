// RingSegment: a Segment that holds a formatted, validated ring. Creation formats every byte and
// then publishes the ready state; opening waits (bounded) for that state and validates the header
// against the object's real size before any other field is trusted. The validated geometry is
// copied into the handle: the data path never re-reads the shared header.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/segment.hpp"

namespace shmring {

struct RingConfig {
    layout::Engine engine = layout::Engine::spsc;
    layout::ChannelKind kind = layout::ChannelKind::raw;
    std::uint64_t capacity = 0;   // SPSC: data bytes; MPMC: slots. A power of two.
    std::uint32_t slot_size = 0;  // MPMC: largest message in bytes
    std::uint32_t max_message = 0;  // SPSC: largest message, 0 for the most the capacity allows
    unsigned mode = 0600;
    SegmentOptions options;
};

// The process-local, validated copy of a header.
struct RingGeometry {
    layout::Engine engine;
    layout::ChannelKind kind;
    std::uint64_t capacity;
    std::uint64_t mask;
    std::uint32_t slot_size;
    std::uint32_t slot_stride;
    std::uint32_t max_message;
    std::uint64_t header_size;
    std::uint64_t total_size;
};

// Size of the object that holds a ring of this configuration; an error if it is out of range.
Result<std::uint64_t> ring_total_size(const RingConfig& config, std::string_view name);

// Checks a header copied out of a segment of `object_size` bytes. Pure: the tool uses it too.
// The context names the ring in the error.
Result<RingGeometry> validate_header(const layout::SegmentHeader& header, std::uint64_t object_size,
                                     std::string_view context);

struct RingExpectation {
    std::optional<layout::Engine> engine;
    std::optional<layout::ChannelKind> kind;
};

class RingSegment {
public:
    static Result<RingSegment> create(std::string_view name, const RingConfig& config);
    static Result<RingSegment> open(std::string_view name, Access access, const RingExpectation& expect = {},
                                    const SegmentOptions& options = {});

    const RingGeometry& geometry() const noexcept { return geometry_; }
    const Segment& segment() const noexcept { return segment_; }
    std::string_view name() const noexcept { return segment_.name(); }

    layout::SegmentHeader& header() const noexcept { return at<layout::SegmentHeader>(layout::kHeaderOffset); }
    layout::ControlBlock& control() const noexcept { return at<layout::ControlBlock>(layout::kControlOffset); }
    layout::ProducerBlock& producer() const noexcept { return at<layout::ProducerBlock>(layout::kProducerOffset); }
    layout::ConsumerBlock& consumer() const noexcept { return at<layout::ConsumerBlock>(layout::kConsumerOffset); }
    layout::WaitEvent& data_event() const noexcept { return at<layout::WaitEvent>(layout::kDataEventOffset); }
    layout::WaitEvent& space_event() const noexcept { return at<layout::WaitEvent>(layout::kSpaceEventOffset); }
    layout::EndpointEntry& endpoint(std::uint32_t index) const noexcept {
        return at<layout::EndpointEntry>(layout::kRegistryOffset + index * sizeof(layout::EndpointEntry));
    }
    std::byte* data() const noexcept { return segment_.base() + geometry_.header_size; }

    // Records that an endpoint found a broken invariant, for the tool and for later attachers.
    void mark_corrupt() const noexcept { control().corrupt.store(1, std::memory_order_relaxed); }

private:
    RingSegment(Segment segment, RingGeometry geometry) : segment_(std::move(segment)), geometry_(geometry) {}
    template <class T>
    T& at(std::size_t offset) const noexcept { return *reinterpret_cast<T*>(segment_.base() + offset); }

    Segment segment_;
    RingGeometry geometry_;
};

}  // namespace shmring
