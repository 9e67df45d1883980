// The fuzzer's input format, shared by the fuzz target and the seed generator.
//
//   byte 0      which handles to attach, one bit per Role, in bit order
//   byte 1      Variant bits: which form of each operation the handles use
//   bytes 2-3   size step, signed little-endian: the shared-memory object is
//               (image size + 64 * size step) bytes, clamped to [0, kMaxObjectSize];
//               a smaller object cuts the image short, a larger one is zero past it
//   bytes 4...  the segment image from offset 0: header, control block, positions, events,
//               registry, then records or slots (layout.hpp)
//
// With kVariantScript, the input's last byte n says that the n bytes before it are a script, and
// the image is what lies between the plan and the script. The script runs every handle of the plan
// at once and lets the segment change between their operations, as another process could:
//   byte b < 0x80     one operation of the handle of Role (b % kRoleCount), if it is attached, in
//                     the form of the plan's variants with bits 3-6 of b flipping the first four
//   byte b >= 0x80    a mutation: the next 3 bytes are an offset into the object, little-endian,
//                     modulo its size; the 4 after them a value stored there (cut at its end)
//
// Nobody holds the lease of a registry entry in the image (detail/lease.hpp): every taken entry
// is an endpoint whose owner is dead, as after a crash.
//
// The plan sits in front of the image so that the image's offsets are the segment's offsets
// shifted by a constant, and a seed reads as a segment dump with a four-byte preamble.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace shmring::fuzz {

enum class Role : unsigned {
    spsc_consumer,
    spsc_producer,
    slot_consumer,  // of a slot ring: an MPMC consumer, or a topic subscriber
    slot_producer,  // an MPMC producer, or a topic publisher
    pipe_reader,
    pipe_writer,
    queue_receiver,
    queue_sender,
};
inline constexpr unsigned kRoleCount = 8;

constexpr std::uint8_t role_bit(Role role) { return static_cast<std::uint8_t>(1U << static_cast<unsigned>(role)); }

// Each bit switches one operation of the handles to its other form.
inline constexpr std::uint8_t kVariantInPlace = 1U << 0;       // claim/commit and peek/release instead of copies
inline constexpr std::uint8_t kVariantSmallBuffer = 1U << 1;   // receive into 7 bytes: the too_large paths
inline constexpr std::uint8_t kVariantAbort = 1U << 2;         // abort loans and claims instead of committing them
inline constexpr std::uint8_t kVariantPublishLater = 1U << 3;  // SPSC: Flush::later, one flush() at the end; topics: subscribers start at the oldest message
inline constexpr std::uint8_t kVariantScript = 1U << 4;        // a script of operations and mutations follows the image

inline constexpr std::uint8_t kScriptMutation = 0x80;
constexpr std::uint8_t script_variants(std::uint8_t operation) { return (operation >> 3) & 0x0FU; }
inline constexpr std::size_t kMutationSize = 7;  // 3 offset bytes, 4 value bytes

inline constexpr std::size_t kPlanSize = 4;
inline constexpr std::int64_t kSizeStep = 64;
// Large enough for an SPSC ring of 1 MiB or an MPMC ring of a few large slots; small enough
// that no input costs more than a few page faults.
inline constexpr std::size_t kMaxObjectSize = std::size_t{4} << 20;

struct Plan {
    std::uint8_t roles = 0;
    std::uint8_t variants = 0;
    std::int16_t size_step = 0;
};

struct Input {
    Plan plan;
    std::span<const std::uint8_t> image;
    std::span<const std::uint8_t> script;
    std::size_t object_size = 0;
};

inline Input decode(std::span<const std::uint8_t> bytes) {
    Input input;
    if (bytes.size() < kPlanSize) return input;
    input.plan.roles = bytes[0];
    input.plan.variants = bytes[1];
    input.plan.size_step = static_cast<std::int16_t>(bytes[2] | (bytes[3] << 8));
    input.image = bytes.subspan(kPlanSize);
    if ((input.plan.variants & kVariantScript) != 0 && !input.image.empty()) {
        const std::size_t length = input.image.back();
        if (length + 1 <= input.image.size()) {
            input.script = input.image.subspan(input.image.size() - 1 - length, length);
            input.image = input.image.first(input.image.size() - 1 - length);
        }
    }
    const std::int64_t wanted = static_cast<std::int64_t>(input.image.size()) + kSizeStep * input.plan.size_step;
    input.object_size = static_cast<std::size_t>(std::clamp<std::int64_t>(wanted, 0, kMaxObjectSize));
    return input;
}

// `script` (at most 255 bytes) is written only with kVariantScript in the plan.
inline std::vector<std::uint8_t> encode(const Plan& plan, std::span<const std::uint8_t> image,
                                        std::span<const std::uint8_t> script = {}) {
    std::vector<std::uint8_t> bytes{plan.roles, plan.variants, static_cast<std::uint8_t>(plan.size_step & 0xFF),
                                    static_cast<std::uint8_t>((plan.size_step >> 8) & 0xFF)};
    bytes.insert(bytes.end(), image.begin(), image.end());
    if ((plan.variants & kVariantScript) != 0) {
        bytes.insert(bytes.end(), script.begin(), script.end());
        bytes.push_back(static_cast<std::uint8_t>(script.size()));
    }
    return bytes;
}

}  // namespace shmring::fuzz
