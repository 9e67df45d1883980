// Pipe semantics between two processes: order, end of file, EPIPE, exclusive roles, non-blocking
// calls and re-attachment. The parent is one end (every blocking call it makes has a deadline);
// a forked child is the other and reports through its exit status and report pipe.
#include <gtest/gtest.h>

#include <csignal>
#include <cstring>
#include <string>
#include <vector>

#include "shmring/pipe.hpp"
#include "support/byte_stream.hpp"
#include "support/pipe_io.hpp"
#include "support/processes.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using shmring::testing::RingName;

constexpr std::uint64_t kSeed = 0x51A7E5EEDULL;

TEST(PipeSemantics, shouldDeliverBytesInOrderWithMatchingChecksum) {
    RingName name("pipe.order");
    ASSERT_TRUE(create_pipe(name, 4096));
    constexpr std::uint64_t kBytes = 4 << 20;
    const ByteStream stream(kSeed);
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();

    ProcessGroup group(deadline_after(30s));
    const auto writer = group.start_forked("writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        StreamChecksum sent;
        // Writes up to 10000 bytes: many are larger than the ring and stream through it.
        const IoResult written = write_stream(*pipe, stream, 0, kBytes, 10000, kSeed + 1, soon(), &sent);
        if (written.status != Status::ok || written.count != kBytes) return report.fail(failed("write", written.status));
        report.put("checksum", sent.value());
        return 0;
    });

    StreamChecksum received;
    const StreamRead read = read_stream(*reader, stream, 0, kBytes + 1, 7000, kSeed + 2, soon(), &received);
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_FALSE(read.mismatch) << "byte " << read.bytes << " differs from what the writer sent";
    EXPECT_TRUE(read.end_of_file) << describe(read.status);
    EXPECT_EQ(read.bytes, kBytes);
    EXPECT_EQ(received.value(), reported(group, writer, "checksum"));
}

TEST(PipeSemantics, shouldReturnEofWhenWriterCloses) {
    RingName name("pipe.eof");
    ASSERT_TRUE(create_pipe(name, 4096));
    const ByteStream stream(kSeed);
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    Gate finish;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("writer", [&](Report& report) {
        {
            auto pipe = PipeWriter::open(name);
            if (!pipe) return report.fail(failed("open writer", pipe.error()));
            const IoResult written = write_stream(*pipe, stream, 0, 1000, 100, kSeed, soon());
            if (written.count != 1000) return report.fail(failed("write", written.status));
        }
        // Still alive: the end of file must come from the close, not from the process exiting.
        if (!finish.wait()) return report.fail("never told to finish");
        return 0;
    });

    const StreamRead read = read_stream(*reader, stream, 0, 2000, 300, kSeed, soon());
    finish.open();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_FALSE(read.mismatch);
    EXPECT_TRUE(read.end_of_file) << describe(read.status);
    EXPECT_EQ(read.bytes, 1000U);
    // End of file is not a one-off: it stays until a writer comes back.
    char byte;
    const IoResult again = reader->read(std::as_writable_bytes(std::span(&byte, 1)), Blocking::no);
    EXPECT_EQ(again.status, Status::ok);
    EXPECT_EQ(again.count, 0U);
}

TEST(PipeSemantics, shouldFailWithEpipeWhenReaderCloses) {
    RingName name("pipe.epipe");
    ASSERT_TRUE(create_pipe(name, 4096));
    const ByteStream stream(kSeed);
    auto writer = PipeWriter::open(name);
    ASSERT_TRUE(writer) << writer.error().message();
    Gate closed;
    Gate finish;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("reader", [&](Report& report) {
        {
            auto pipe = PipeReader::open(name);
            if (!pipe) return report.fail(failed("open reader", pipe.error()));
            const StreamRead read = read_stream(*pipe, stream, 0, 100, 100, kSeed, soon());
            if (read.bytes != 100) return report.fail(failed("read", read.status));
        }
        closed.open();
        if (!finish.wait()) return report.fail("never told to finish");
        return 0;
    });

    const IoResult first = write_stream(*writer, stream, 0, 100, 100, kSeed, soon());
    EXPECT_EQ(first.count, 100U);
    ASSERT_TRUE(closed.wait());
    std::byte data[64]{};
    const IoResult blocking = writer->write(data, Blocking::yes, soon());
    const IoResult non_blocking = writer->write(data, Blocking::no);
    finish.open();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(blocking.status, Status::peer_gone);
    EXPECT_EQ(blocking.count, 0U);
    EXPECT_EQ(non_blocking.status, Status::peer_gone);
    EXPECT_EQ(non_blocking.count, 0U);
}

TEST(PipeSemantics, shouldReturnCountWrittenSoFarWhenReaderLeavesDuringWrite) {
    RingName name("pipe.short-write");
    constexpr std::uint64_t kCapacity = 4096;
    constexpr std::uint64_t kRead = 10000;
    ASSERT_TRUE(create_pipe(name, kCapacity));
    const ByteStream stream(kSeed);
    auto writer = PipeWriter::open(name);
    ASSERT_TRUE(writer) << writer.error().message();

    ProcessGroup group(deadline_after(20s));
    group.start_forked("reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        const StreamRead read = read_stream(*pipe, stream, 0, kRead, 1000, kSeed, soon());
        return read.bytes == kRead ? 0 : report.fail(failed("read", read.status));  // then closes
    });
    std::vector<std::byte> data(64 << 10);
    stream.fill(0, data);
    const IoResult written = writer->write(data, Blocking::yes, soon());
    const IoResult after = writer->write(data, Blocking::no);
    ASSERT_TRUE(all_succeeded(group));
    // Everything the reader took, and at most a ringful it left behind.
    EXPECT_EQ(written.status, Status::ok) << describe(written.status);
    EXPECT_GE(written.count, kRead);
    EXPECT_LE(written.count, kRead + kCapacity);
    EXPECT_EQ(after.status, Status::peer_gone);
}

TEST(PipeSemantics, shouldRefuseSecondWriterAndSecondReaderWithEbusy) {
    RingName name("pipe.busy");
    ASSERT_TRUE(create_pipe(name, 4096));
    Gate holding;
    Gate release;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("holder", [&](Report& report) {
        auto writer = PipeWriter::open(name);
        if (!writer) return report.fail(failed("open writer", writer.error()));
        auto reader = PipeReader::open(name);
        if (!reader) return report.fail(failed("open reader", reader.error()));
        holding.open();
        if (!release.wait()) return report.fail("never told to release");
        return 0;
    });

    ASSERT_TRUE(holding.wait());
    const auto second_writer = PipeWriter::open(name);
    const auto second_reader = PipeReader::open(name);
    release.open();
    ASSERT_TRUE(all_succeeded(group));
    ASSERT_FALSE(second_writer);
    EXPECT_EQ(second_writer.error().code(), Errc::busy) << second_writer.error().message();
    ASSERT_FALSE(second_reader);
    EXPECT_EQ(second_reader.error().code(), Errc::busy) << second_reader.error().message();
    // Both roles were given back when their holder closed them.
    EXPECT_TRUE(PipeWriter::open(name));
    EXPECT_TRUE(PipeReader::open(name));
}

TEST(PipeSemantics, shouldReturnEagainForNonBlockingReadOnEmptyPipe) {
    RingName name("pipe.empty");
    ASSERT_TRUE(create_pipe(name, 4096));
    const ByteStream stream(kSeed);
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    Gate attached;
    Gate write_now;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        attached.open();
        if (!write_now.wait()) return report.fail("never told to write");
        const IoResult written = write_stream(*pipe, stream, 0, 10, 10, kSeed, soon());
        return written.count == 10 ? 0 : report.fail(failed("write", written.status));
    });

    ASSERT_TRUE(attached.wait());
    std::byte buffer[64];
    const IoResult empty = reader->read(buffer, Blocking::no);
    write_now.open();
    const StreamRead read = read_stream(*reader, stream, 0, 100, 64, kSeed, soon());
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(empty.status, Status::again);
    EXPECT_EQ(empty.count, 0U);
    EXPECT_EQ(read.bytes, 10U);
    EXPECT_TRUE(read.end_of_file);
}

TEST(PipeSemantics, shouldReturnEagainForNonBlockingWriteOnFullPipe) {
    RingName name("pipe.full");
    ASSERT_TRUE(create_pipe(name, 4096));
    auto writer = PipeWriter::open(name);
    ASSERT_TRUE(writer) << writer.error().message();
    Gate attached;
    Gate drain;
    Gate drained;
    Gate finish;

    ProcessGroup group(deadline_after(20s));
    group.start_forked("reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        attached.open();
        if (!drain.wait()) return report.fail("never told to drain");
        std::byte buffer[8192];
        const IoResult read = pipe->read(buffer, Blocking::yes, soon());
        drained.open();
        if (read.status != Status::ok || read.count == 0) return report.fail(failed("read", read.status));
        // Stays attached: a write after it left would be EPIPE, not the write into room we test.
        return finish.wait() ? 0 : report.fail("never told to finish");
    });

    ASSERT_TRUE(attached.wait());
    std::byte data[512]{};
    std::uint64_t accepted = 0;
    IoResult result{Status::ok, 0};
    for (int i = 0; i < 100 && result.status == Status::ok; ++i) {
        result = writer->write(data, Blocking::no);
        accepted += result.count;
    }
    drain.open();
    ASSERT_TRUE(drained.wait());
    const IoResult after_room = writer->write(data, Blocking::no);
    finish.open();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(result.status, Status::again) << "100 writes of 512 bytes never filled a 4096-byte pipe";
    EXPECT_EQ(result.count, 0U);
    EXPECT_GT(accepted, 4096U / 2) << "the pipe took only " << accepted << " bytes";
    EXPECT_LE(accepted, 4096U);
    // EAGAIN meant full, nothing worse: once the reader made room, writes go through again.
    EXPECT_EQ(after_room.status, Status::ok);
    EXPECT_GT(after_room.count, 0U);
}

TEST(PipeSemantics, shouldWritePartialCountWhenOnlyPartFits) {
    RingName name("pipe.partial");
    ASSERT_TRUE(create_pipe(name, 4096));
    const ByteStream stream(kSeed);
    auto writer = open_closable<PipeWriter>(name);
    ASSERT_TRUE(writer);
    Gate attached;
    Gate read_now;

    ProcessGroup group(deadline_after(20s));
    const auto reader = group.start_forked("reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        attached.open();
        if (!read_now.wait()) return report.fail("never told to read");
        const StreamRead read = read_stream(*pipe, stream, 0, 1 << 20, 999, kSeed, soon());
        report.put("bytes", read.bytes);
        return read.end_of_file && !read.mismatch ? 0 : report.fail(failed("read", read.status));
    });

    ASSERT_TRUE(attached.wait());
    std::byte data[3000];
    stream.fill(0, data);
    const IoResult first = writer->write(data, Blocking::no);
    stream.fill(first.count, data);
    const IoResult partial = writer->write(data, Blocking::no);
    const IoResult none = writer->write(std::span(data).first(1), Blocking::no);
    read_now.open();
    writer.reset();  // the reader reads to end of file
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(first.status, Status::ok);
    EXPECT_EQ(first.count, 3000U);
    EXPECT_EQ(partial.status, Status::ok);
    EXPECT_GT(partial.count, 0U);
    EXPECT_LT(partial.count, 3000U);
    EXPECT_EQ(none.status, Status::again);
    // The reader got exactly the bytes the two writes reported, in order.
    EXPECT_EQ(reported(group, reader, "bytes"), first.count + partial.count);
}

TEST(PipeSemantics, shouldContinueStreamWhenNewWriterReplacesKilledWriter) {
    RingName name("pipe.new-writer");
    ASSERT_TRUE(create_pipe(name, 65536));
    const ByteStream stream(kSeed);
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    Gate written;
    constexpr std::uint64_t kOld = 10000;
    constexpr std::uint64_t kNew = 20000;

    ProcessGroup victim(deadline_after(20s));
    const auto first = victim.start_forked("first writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        const IoResult result = write_stream(*pipe, stream, 0, kOld, 1000, kSeed, soon());
        if (result.count != kOld) return report.fail(failed("write", result.status));
        written.open();
        ::pause();  // holds the role until killed
        return 0;
    });
    ASSERT_TRUE(written.wait());
    const StreamRead before = read_stream(*reader, stream, 0, kOld / 2, 700, kSeed, soon());
    ::kill(victim.child(first).pid, SIGKILL);
    // The dead writer's bytes are still there, then end of file.
    const StreamRead after = read_stream(*reader, stream, kOld / 2, kNew, 700, kSeed, soon());

    Gate attached;
    ProcessGroup group(deadline_after(20s));
    group.start_forked("second writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);  // takes over the dead writer's role
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        attached.open();
        const IoResult result = write_stream(*pipe, stream, kOld, kNew, 1000, kSeed, soon());
        return result.count == kNew - kOld ? 0 : report.fail(failed("write", result.status));
    });
    // Until a writer is back, the reader sees end of file, as with a FIFO.
    ASSERT_TRUE(attached.wait());
    const StreamRead resumed = read_stream(*reader, stream, kOld, kNew, 700, kSeed, soon());
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(before.bytes, kOld / 2);
    EXPECT_EQ(after.bytes, kOld - kOld / 2);
    EXPECT_TRUE(after.end_of_file) << describe(after.status);
    EXPECT_FALSE(resumed.mismatch) << "byte " << kOld + resumed.bytes << " differs";
    EXPECT_EQ(resumed.bytes, kNew - kOld);
    EXPECT_TRUE(resumed.end_of_file) << describe(resumed.status);
}

TEST(PipeSemantics, shouldContinueStreamWhenNewReaderReplacesClosedReader) {
    RingName name("pipe.new-reader");
    ASSERT_TRUE(create_pipe(name, 65536));
    const ByteStream stream(kSeed);
    auto writer = open_closable<PipeWriter>(name);
    ASSERT_TRUE(writer);
    constexpr std::uint64_t kOld = 10000;
    constexpr std::uint64_t kNew = 20000;
    // 3333 ends in the middle of a 1000-byte record: the next reader must start mid-record.
    constexpr std::uint64_t kFirstReads = 3333;
    ASSERT_EQ(write_stream(*writer, stream, 0, kOld, 1000, kSeed, soon()).count, kOld);

    ProcessGroup first_group(deadline_after(20s));
    const auto first = first_group.start_forked("first reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        const StreamRead read = read_stream(*pipe, stream, 0, kFirstReads, 97, kSeed, soon());
        report.put("bytes", read.bytes);
        return 0;
    });
    ASSERT_TRUE(all_succeeded(first_group));
    ASSERT_EQ(reported(first_group, first, "bytes"), kFirstReads);

    Gate attached;
    ProcessGroup group(deadline_after(20s));
    const auto second = group.start_forked("second reader", [&](Report& report) {
        auto pipe = PipeReader::open(name);
        if (!pipe) return report.fail(failed("open reader", pipe.error()));
        attached.open();
        const StreamRead read = read_stream(*pipe, stream, kFirstReads, kNew, 997, kSeed, soon());
        report.put("bytes", read.bytes);
        if (read.mismatch) return report.fail("a byte differs from the stream");
        return read.end_of_file ? 0 : report.fail(failed("read", read.status));
    });
    // Writing only once the new reader is there: with no reader at all, a write is EPIPE.
    ASSERT_TRUE(attached.wait());
    EXPECT_EQ(write_stream(*writer, stream, kOld, kNew, 1000, kSeed, soon()).count, kNew - kOld);
    writer.reset();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(reported(group, second, "bytes"), kNew - kFirstReads);
}

TEST(PipeSemantics, shouldReportCorruptWhenAPartlyReadRecordShrinks) {
    RingName name("pipe.shrunk");
    ASSERT_TRUE(create_pipe(name, 4096));
    auto reader = PipeReader::open(name);
    auto writer = PipeWriter::open(name);
    ASSERT_TRUE(reader && writer);
    const std::vector<std::byte> record(100, std::byte{0x42});
    ASSERT_EQ(writer->write(record, Blocking::no).count, record.size());
    std::vector<std::byte> buffer(4000);
    ASSERT_EQ(reader->read(std::span(buffer).first(10), Blocking::no).count, 10U);

    // The record is the ring's first: its header opens the data area. Rewritten to 4 bytes, it is
    // now shorter than the 10 already read.
    const layout::RecordHeader shrunk{4, 0};
    std::memcpy(reader->ring().data(), &shrunk, sizeof shrunk);
    const IoResult result = reader->read(buffer, Blocking::no);
    EXPECT_EQ(result.status, Status::corrupt);
    EXPECT_EQ(static_cast<int>(result.status), EPROTO);  // what the C API returns, negated
    EXPECT_EQ(result.count, 0U);
    EXPECT_EQ(reader->ring().control().corrupt.load(std::memory_order_relaxed), 1U);
}

}  // namespace
}  // namespace shmring::adapters_test
