// Pipes: a byte stream with the semantics of a FIFO, over an SPSC ring. PipeWriter and PipeReader
// are its two ends.
//
// One writer and one reader at a time (a second one gets Errc::busy). Bytes arrive in order, never
// torn or invented: the writer publishes only whole records, so a writer killed mid-write leaves
// the reader a clean prefix of what it wrote.
//
// Sessions, as with a FIFO served again and again: a handle's session pairs it with the peer it
// meets. A writer with no reader yet fills the ring and then waits (again when non-blocking) for a
// reader; write() fails with Status::peer_gone (EPIPE) once the reader of its session has gone
// (closed, or dead). A reader with no writer yet waits for one; read() returns 0 (end of file) once
// the writer of its session has gone and every byte it published has been read. A reader that
// opens to unread bytes of a writer that has already left reads them, then end of file. Either side
// can start first, session after session. A handle outlives its session as a FIFO's descriptor
// does: a reader at end of file reads again once a new writer attaches, and a writer that got EPIPE
// writes again once a new reader attaches.
//
// How a dead peer is noticed: a peer that closes gives its role back, which the other side sees in
// one load. A peer that dies keeps its role word, so a waiting endpoint tests the holder's lease
// (endpoint.hpp) every WaitTuning::probe_interval (50 ms) while it waits, and a non-blocking call
// that finds nothing to do tests it at most every probe_interval / 5. Neither happens while data
// flows: the fast path pays nothing for it.
#pragma once

#include "shmring/detail/cxx20.hpp"

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "shmring/endpoint.hpp"
#include "shmring/error.hpp"
#include "shmring/loan.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/segment.hpp"
#include "shmring/wait.hpp"

namespace shmring {

enum class Blocking { yes, no };

// Creates a pipe ring of `capacity_bytes`, rounded up to a power of two (64 bytes to 1 GiB).
Outcome create_pipe(std::string_view name, std::uint64_t capacity_bytes, unsigned mode = 0600,
                    const SegmentOptions& options = {});

// The writing end. Each handle is single-threaded.
class PipeWriter {
public:
    static Result<PipeWriter> open(std::string_view name, const EndpointOptions& options = {});

    // Blocking: returns when every byte is in the ring (a write larger than the ring streams
    // through it), or early with the count written so far if the reader goes or the deadline
    // passes. Non-blocking: writes what fits; again when nothing fits.
    IoResult write(std::span<const std::byte> data, Blocking blocking = Blocking::yes, Deadline deadline = kNoDeadline) noexcept;

    // A descriptor that poll/epoll report readable when a write can make progress (room, or
    // EPIPE). Created on first use; owned by the handle.
    Result<int> poll_fd();

    void set_wait(WaitStrategy strategy) noexcept;
    const RingSegment& ring() const noexcept;

    PipeWriter(PipeWriter&&) noexcept;
    PipeWriter& operator=(PipeWriter&&) noexcept;
    ~PipeWriter();
    class Impl;

private:
    explicit PipeWriter(std::unique_ptr<Impl> impl);
    // Behind a pointer so that the poll helper's view of the endpoint survives moves of the handle.
    std::unique_ptr<Impl> impl_;
};

// The reading end. Each handle is single-threaded.
class PipeReader {
public:
    static Result<PipeReader> open(std::string_view name, const EndpointOptions& options = {});

    // Returns as soon as at least one byte is there, up to buffer.size().
    IoResult read(std::span<std::byte> buffer, Blocking blocking = Blocking::yes, Deadline deadline = kNoDeadline) noexcept;

    // A descriptor that poll/epoll report readable when a read can make progress (data, or end
    // of file). Created on first use; owned by the handle.
    Result<int> poll_fd();

    void set_wait(WaitStrategy strategy) noexcept;
    const RingSegment& ring() const noexcept;

    PipeReader(PipeReader&&) noexcept;
    PipeReader& operator=(PipeReader&&) noexcept;
    ~PipeReader();
    class Impl;

private:
    explicit PipeReader(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace shmring
