// Internal. The cell protocol over a RingView: how writers publish a value and readers copy the
// latest one, never torn, never blocking a writer. Model-checked by verify/cell_value.pml
// (verify/run.sh): keep them in step.
//
// Writers are serialised by the cell's writer lock (detail/owner_lock.hpp). Holding it, a writer
// publishes version [W0] v = latest + 1 in value buffer v & mask:
//   [W1] stamp := writing(v), relaxed       [W2] release fence: W1 before the payload's bytes
//   [W3] payload and length                 [W4] stamp := complete(v), release
//   [W5] latest := v, release               [W6] gives the writer lock back, wakes the waiters
// A reader copies the latest value:
//   [R1] v := latest, acquire (pairs with [W5]: v's buffer holds complete(v) or a later stamp)
//   [R2] s := stamp of v's buffer, acquire (pairs with [W4]): complete(v) -> go on; a later stamp
//        -> the buffer was taken by a newer write: back to [R1]; an earlier one -> corrupt
//   [R3] copy length and payload, then an acquire fence: the copy before the re-read
//   [R4] stamp again: changed -> a writer rewrote the buffer during the copy: back to [R1]
//   [R5] return version v and the copy
// A writer rewrites v's buffer only at version v + buffers, so a reader has buffers - 1 later
// writes' time to copy a value: a fast writer of small values does not starve a reader of large
// ones. No reader stores anything shared: readers do not slow writers down.
// A writer killed anywhere leaves `latest` at the last complete value: the version it was writing
// was never published, and the next writer (who takes the writer lock from the dead one) writes
// that version again into the same buffer. Versions seen by readers only grow.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstring>
#include <span>

#include "shmring/detail/stamped_copy.hpp"
#include "shmring/detail/topic_protocol.hpp"
#include "shmring/error.hpp"
#include "shmring/layout.hpp"
#include "shmring/ring_view.hpp"

namespace shmring::detail {

inline layout::CellBlock& cell_block(const RingView& ring) noexcept { return *reinterpret_cast<layout::CellBlock*>(ring.data()); }

// Value buffer `index` (below the buffer count): its header, and its payload after it.
inline layout::SlotHeader& cell_buffer(const RingView& ring, std::uint64_t version) noexcept {
    const std::uint64_t index = version & ring.geometry().mask;
    return *reinterpret_cast<layout::SlotHeader*>(ring.data() + sizeof(layout::CellBlock) + index * ring.geometry().slot_stride);
}
inline std::byte* cell_payload(layout::SlotHeader& buffer) noexcept { return reinterpret_cast<std::byte*>(&buffer + 1); }

// The newest complete version, 0 before the first write (a look, for waiters and the tool).
inline std::uint64_t cell_latest(const RingView& ring) noexcept {
    return cell_block(ring).latest.load(std::memory_order_acquire);  // [R1]
}

// [W1]-[W5], by the holder of the writer lock. Returns the version written. `value` fits.
inline std::uint64_t cell_publish(const RingView& ring, std::span<const std::byte> value) noexcept {
    auto& block = cell_block(ring);
    // Relaxed: only writer-lock holders store it, and taking the lock (acquire) made the last one's store visible.
    const std::uint64_t version = block.latest.load(std::memory_order_relaxed) + 1;
    auto& buffer = cell_buffer(ring, version);
    buffer.sequence.store(layout::topic_stamp_writing(version), std::memory_order_relaxed);  // [W1]
    std::atomic_thread_fence(std::memory_order_release);  // [W2] pairs with [R3]'s fence: a reader that saw our bytes sees [W1]
    if (!value.empty()) std::memcpy(cell_payload(buffer), value.data(), value.size());  // [W3]
    // Relaxed: published with the payload by [W4].
    buffer.length.store(static_cast<std::uint32_t>(value.size()), std::memory_order_relaxed);
    buffer.sequence.store(layout::topic_stamp_complete(version), std::memory_order_release);  // [W4] pairs with [R2]
    block.latest.store(version, std::memory_order_release);  // [W5] pairs with [R1]
    return version;
}

// A reader's limits on [R1]-[R5] rounds, and on the bytes it copies in vain: only a writer that
// rewrites buffers faster than one value can be copied, round after round (or a process scribbling
// on the segment's stamps), reaches them.
inline constexpr int kCellReadRounds = 100'000;
inline constexpr std::uint64_t kCellReadBytes = std::uint64_t{1} << 30;

// [R1]-[R5]. ok: `length` and `version` are the latest value's (version 0, length 0: never
// written). too_large: `buffer` is shorter than `length`; nothing copied. again: the value kept
// changing under the copy (kCellReadRounds). corrupt: the segment contradicts the protocol.
inline Status cell_read(const RingView& ring, std::span<std::byte> buffer, std::size_t& length, std::uint64_t& version) noexcept {
    std::uint64_t copied = 0;
    for (int round = 0; round < kCellReadRounds && copied < kCellReadBytes; ++round) {
        const std::uint64_t v = cell_latest(ring);  // [R1]
        if (v == 0) {
            length = 0;
            version = 0;
            return Status::ok;
        }
        auto& slot = cell_buffer(ring, v);
        const std::uint64_t stamp = slot.sequence.load(std::memory_order_acquire);  // [R2]
        const std::int64_t lag = topic_stamp_lag(stamp, v);
        if (lag > 0) continue;  // rewritten by a newer write
        if (lag < 0) return Status::corrupt;
        // [R3] relaxed: checked by [R4], as the payload is.
        const std::uint32_t size = slot.length.load(std::memory_order_relaxed);
        const bool fits = size <= buffer.size();
        if (size != 0 && size <= ring.geometry().slot_size && fits) {
            copy_payload(buffer.data(), cell_payload(slot), size);
            copied += size;
        }
        std::atomic_thread_fence(std::memory_order_acquire);  // [R3] pairs with [W2]
        // [R4] relaxed: the fence above orders it after the copy.
        if (slot.sequence.load(std::memory_order_relaxed) != stamp) continue;
        if (size > ring.geometry().slot_size) return Status::corrupt;  // a complete, unchanged buffer longer than any value
        length = size;
        version = v;
        return fits ? Status::ok : Status::too_large;
    }
    return Status::again;
}

}  // namespace shmring::detail
