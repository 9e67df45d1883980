// Pipe ends for tests, and moving a ByteStream through a pipe in reads and writes of random
// sizes, checking every byte.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "shmring/pipe.hpp"
#include "support/byte_stream.hpp"

namespace shmring::adapters_test {

// An end the test can close before its scope ends, with reset(). Empty, with the failure
// recorded, if it could not be opened.
template <class End>
std::optional<End> open_closable(std::string_view name) {
    auto opened = End::open(name);
    if (!opened) {
        ADD_FAILURE() << opened.error().message();
        return std::nullopt;
    }
    return std::move(*opened);
}

// Non-blocking reads until EAGAIN or end of file, appending what they read to `text`. True at
// end of file. (EAGAIN is what re-arms a poll descriptor.)
inline bool read_until_eagain(PipeReader& reader, std::string& text) {
    char buffer[256];
    for (;;) {
        const IoResult result = reader.read(std::as_writable_bytes(std::span(buffer)), Blocking::no);
        if (result.status != Status::ok) return false;
        if (result.count == 0) return true;
        text.append(buffer, result.count);
    }
}

// Non-blocking writes until EAGAIN or an error: the bytes written and the status that stopped them.
inline IoResult write_until_eagain(PipeWriter& writer) {
    std::byte data[256]{};
    IoResult total{Status::ok, 0};
    for (;;) {
        const IoResult result = writer.write(data, Blocking::no);
        total.count += result.count;
        if (result.status != Status::ok) {
            total.status = result.status;
            return total;
        }
    }
}

// Writes the stream's bytes [from, to) in blocking writes of 1 to max_write bytes,
// folding what went through into `checksum` if given. Stops at the first write that falls short
// and returns its status with the total count.
inline IoResult write_stream(PipeWriter& pipe, const ByteStream& stream, std::uint64_t from, std::uint64_t to,
                             std::size_t max_write, std::uint64_t seed, Deadline deadline = kNoDeadline,
                             StreamChecksum* checksum = nullptr) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> size(1, max_write);
    std::vector<std::byte> buffer(max_write);
    std::uint64_t position = from;
    while (position < to) {
        const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(size(rng), to - position));
        stream.fill(position, std::span(buffer).first(length));
        const IoResult result = pipe.write(std::span(buffer).first(length), Blocking::yes, deadline);
        if (checksum != nullptr) checksum->add(std::span(buffer).first(result.count));
        position += result.count;
        if (result.status != Status::ok || result.count != length) return {result.status, position - from};
    }
    return {Status::ok, position - from};
}

struct StreamRead {
    Status status = Status::ok;  // of the read that ended it
    std::uint64_t bytes = 0;     // read, each equal to the stream's byte at its position
    bool end_of_file = false;
    bool mismatch = false;       // the byte at position + bytes differed from the stream
};

// Reads the stream from `position` on, in reads of 1 to max_read bytes, until end of file,
// `limit` bytes, an error, or a byte that differs from the stream. Never reads past `limit`.
inline StreamRead read_stream(PipeReader& pipe, const ByteStream& stream, std::uint64_t position, std::uint64_t limit,
                              std::size_t max_read, std::uint64_t seed, Deadline deadline = kNoDeadline,
                              StreamChecksum* checksum = nullptr) {
    std::mt19937_64 rng(seed);
    std::uniform_int_distribution<std::size_t> size(1, max_read);
    std::vector<std::byte> buffer(max_read);
    StreamRead outcome;
    while (outcome.bytes < limit) {
        const std::size_t length = static_cast<std::size_t>(std::min<std::uint64_t>(size(rng), limit - outcome.bytes));
        const IoResult result = pipe.read(std::span(buffer).first(length), Blocking::yes, deadline);
        outcome.status = result.status;
        if (result.status != Status::ok) return outcome;
        if (result.count == 0) {
            outcome.end_of_file = true;
            return outcome;
        }
        const auto got = std::span<const std::byte>(buffer).first(result.count);
        const std::size_t good = stream.mismatch(position + outcome.bytes, got);
        if (checksum != nullptr) checksum->add(got.first(good));
        outcome.bytes += good;
        if (good != got.size()) {
            outcome.mismatch = true;
            return outcome;
        }
    }
    return outcome;
}

}  // namespace shmring::adapters_test
