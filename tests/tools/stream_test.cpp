// shmring write / read: a pipe between shell pipelines, with end of file and EPIPE carried across.
#include <gtest/gtest.h>

#include <span>  // before support/test_ring.hpp, which uses std::span without including it

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

TEST(ToolStream, shouldCarry100MiBThroughWriteAndReadWithEqualChecksums) {
    RingName ring("stream.bulk");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "1M"}).code, 0);
    const Finished result = run_shell(R"(
        dir=$(mktemp -d)
        trap 'rm -rf "$dir"' EXIT
        head -c 104857600 /dev/urandom > "$dir/in"
        "$SHMRING" read )" + ring.str() + R"( | sha256sum > "$dir/out.sum" &
        reader=$!
        cat "$dir/in" | "$SHMRING" write )" + ring.str() + R"(
        wait "$reader"
        sha256sum < "$dir/in" > "$dir/in.sum"
        cmp "$dir/in.sum" "$dir/out.sum"
        wc -c < "$dir/in"
    )");
    EXPECT_TRUE(result.exited);
    EXPECT_EQ(result.code, 0) << result.err;
    EXPECT_EQ(result.out, "104857600\n");
}

TEST(ToolStream, shouldEndReadWithEndOfFileWhenWriteReachesTheEndOfItsInput) {
    RingName ring("stream.eof");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    Running reader({"read", ring.str()}, Running::Stdout::capture);
    const Finished writer = run_tool({"write", ring.str()}, "hello\nworld\n");
    EXPECT_EQ(writer.code, 0) << writer.err;
    EXPECT_EQ(reader.read_line(std::chrono::seconds(10)), "hello");
    EXPECT_EQ(reader.read_line(std::chrono::seconds(10)), "world");
    const Finished ended = reader.wait();
    EXPECT_TRUE(ended.exited);
    EXPECT_EQ(ended.code, 0) << ended.err;
}

TEST(ToolStream, shouldKeepWhatWasWrittenBeforeAnyReaderCame) {
    RingName ring("stream.early");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    ASSERT_EQ(run_tool({"write", ring.str()}, "written early\n").code, 0);
    const Finished reader = run_tool({"read", ring.str()});
    EXPECT_EQ(reader.code, 0) << reader.err;
    EXPECT_EQ(reader.out, "written early\n");
}

TEST(ToolStream, shouldFailWriteWithEpipeWhenTheReaderLeaves) {
    RingName ring("stream.epipe");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "64K"}).code, 0);
    const Finished result = run_shell(R"(
        "$SHMRING" read )" + ring.str() + R"( 2>/dev/null | head -c 1000 > /dev/null &
        status=0
        head -c 1000000000 /dev/zero 2>/dev/null | "$SHMRING" write )" + ring.str() + R"( || status=$?
        wait || true
        echo "write status $status"
    )");
    EXPECT_EQ(result.code, 0) << result.err;
    EXPECT_EQ(result.out, "write status 1\n");
    EXPECT_EQ(result.err, "shmring: " + ring.str() + ": the reader has gone: Broken pipe (EPIPE)\n");
}

TEST(ToolStream, shouldServeTenSessionsBackToBackInEveryStartOrder) {
    RingName ring("stream.sessions");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    // Reader first; writer first (it waits for its reader instead of failing with the last
    // session's EPIPE); writer finished before the reader opens. Each reader must see exactly
    // its session's line, then end of file.
    const Finished result = run_shell("ring=" + ring.str() + R"sh(
        dir=$(mktemp -d)
        trap 'rm -rf "$dir"' EXIT
        for i in $(seq 1 10); do
            case $((i % 3)) in
                0) "$SHMRING" read "$ring" > "$dir/out" & reader=$!
                   sleep 0.05
                   echo "session $i" | "$SHMRING" write "$ring"
                   wait "$reader" ;;
                1) { sleep 0.2; echo "session $i"; } | "$SHMRING" write "$ring" & writer=$!
                   sleep 0.05
                   "$SHMRING" read "$ring" > "$dir/out"
                   wait "$writer" ;;
                2) echo "session $i" | "$SHMRING" write "$ring"
                   "$SHMRING" read "$ring" > "$dir/out" ;;
            esac
            [ "$(cat "$dir/out")" = "session $i" ] || { echo "session $i read: $(cat "$dir/out")"; exit 1; }
        done
        echo ten sessions
    )sh", std::chrono::seconds(60));
    EXPECT_TRUE(result.exited);
    EXPECT_EQ(result.code, 0) << result.out << result.err;
    EXPECT_EQ(result.out, "ten sessions\n");
}

TEST(ToolStream, shouldRefuseToStreamThroughAQueue) {
    RingName ring("stream.queue");
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "4", "--message-size", "64"}).code, 0);
    const Finished writer = run_tool({"write", ring.str()}, "x");
    EXPECT_EQ(writer.code, 1);
    EXPECT_TRUE(writer.err.starts_with("shmring: " + ring.str() + ": ")) << writer.err;
}

}  // namespace
}  // namespace shmring::testing
