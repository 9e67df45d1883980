// One GiB through a 64 KiB pipe between two processes: the stream arrives whole (same length and
// checksum on both sides), and the throughput is printed.
#include <gtest/gtest.h>

#include <cstdio>
#include <vector>

#include "shmring/pipe.hpp"
#include "support/byte_stream.hpp"
#include "support/processes.hpp"
#include "support/test_ring.hpp"

namespace shmring::adapters_test {
namespace {

using namespace std::chrono_literals;
using shmring::testing::RingName;

TEST(PipeVolume, shouldCarryOneGibibyteThroughA64KibPipeIntact) {
    constexpr std::uint64_t kBytes = std::uint64_t{1} << 30;
    // The writer sends a window of a random pattern whose period is odd, so that neither the
    // ring's wrap nor the writes' sizes ever line up with it: a lost or repeated chunk shows.
    constexpr std::size_t kPeriod = (1 << 20) + 13;
    constexpr std::size_t kWrite = 256 << 10;  // four times the ring: each write streams through it
    RingName name("pipe.volume");
    ASSERT_TRUE(create_pipe(name, 64 << 10));
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();

    ProcessGroup group(deadline_after(60s));
    const auto writer = group.start_forked("writer", [&](Report& report) {
        auto pipe = PipeWriter::open(name);
        if (!pipe) return report.fail(failed("open writer", pipe.error()));
        std::vector<std::byte> pattern(kPeriod + kWrite);
        ByteStream(0x601B).fill(0, pattern);
        std::copy_n(pattern.begin(), kWrite, pattern.begin() + kPeriod);  // any window of kWrite is contiguous
        StreamChecksum sent;
        std::uint64_t position = 0;
        while (position < kBytes) {
            const auto window = std::span(pattern).subspan(position % kPeriod, std::min<std::uint64_t>(kWrite, kBytes - position));
            const IoResult written = pipe->write(window, Blocking::yes, deadline_after(10s));
            sent.add(window.first(written.count));
            position += written.count;
            if (written.status != Status::ok) return report.fail(failed("write", written.status));
        }
        report.put("checksum", sent.value());
        return 0;
    });

    std::vector<std::byte> buffer(64 << 10);
    StreamChecksum received;
    const Deadline started = Clock::now();
    IoResult read{Status::ok, 1};
    while (read.status == Status::ok && read.count > 0) {
        read = reader->read(buffer, Blocking::yes, deadline_after(10s));
        received.add(std::span(buffer).first(read.count));
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    ASSERT_TRUE(all_succeeded(group));
    EXPECT_EQ(read.status, Status::ok) << describe(read.status);
    EXPECT_EQ(received.bytes(), kBytes);
    EXPECT_EQ(received.value(), reported(group, writer, "checksum"));
    std::printf("[ measured ] 1 GiB through a 64 KiB pipe in %.2f s: %.2f GiB/s\n", seconds, 1.0 / seconds);
}

}  // namespace
}  // namespace shmring::adapters_test
