// RingSegment: a Segment that holds a formatted, validated ring. Creation formats every byte and
// then publishes the ready state; opening waits (bounded) for that state and validates the header
// against the object's real size before any other field is trusted.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_view.hpp"
#include "shmring/segment.hpp"

namespace shmring {

struct RingExpectation {
    std::optional<layout::Engine> engine;
    std::optional<layout::ChannelKind> kind;
};

// A mapped, validated ring: the view over a Segment it owns.
class RingSegment : public RingView {
public:
    static Result<RingSegment> create(std::string_view name, const RingConfig& config);
    static Result<RingSegment> open(std::string_view name, Access access, const RingExpectation& expect = {},
                                    const SegmentOptions& options = {});

    const Segment& segment() const noexcept { return segment_; }
    std::string_view name() const noexcept { return segment_.name(); }

private:
    RingSegment(Segment segment, const RingGeometry& geometry) : RingView(segment.base(), geometry), segment_(std::move(segment)) {}

    Segment segment_;  // a move keeps the mapping where it is, so the view stays valid
};

}  // namespace shmring
