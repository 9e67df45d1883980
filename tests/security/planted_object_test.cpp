// Objects planted under a ring's name in /dev/shm, which anyone may write to: a symbolic link, a
// FIFO or a directory is not a ring, and every way of opening one says so (Errc::not_a_ring,
// EPROTO) instead of following it, blocking on it or mapping it.
#include <gtest/gtest.h>

#include <filesystem>
#include <functional>
#include <utility>
#include <sys/stat.h>

#include "child.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/shmring.h"
#include "support/test_ring.hpp"

namespace shmring::security_test {
namespace {

using testing::RingName;

// Every way the library opens a ring by name, from C++ and from C, each in a child of its own:
// one that blocks is then named in the report, and the others still get their say.
std::string open_every_way(const RingName& name) {
    const std::pair<const char*, std::function<std::string()>> ways[] = {
        {"RingSegment::open read-write", [&] { return outcome(RingSegment::open(name, Access::read_write)); }},
        {"RingSegment::open read-only", [&] { return outcome(RingSegment::open(name, Access::read_only)); }},
        {"Pipe::open", [&] { return outcome(PipeReader::open(name)); }},
        {"Queue::open", [&] { return outcome(QueueReceiver::open(name)); }},
        {"shmring_pipe_open", [&] {
             shmring_pipe* pipe = nullptr;
             return c_outcome(shmring_pipe_open(name.str().c_str(), SHMRING_RECEIVER, &pipe));
         }},
        {"shmring_queue_open", [&] {
             shmring_queue* queue = nullptr;
             return c_outcome(shmring_queue_open(name.str().c_str(), SHMRING_RECEIVER, &queue));
         }},
    };
    std::string report;
    for (const auto& [way, open] : ways) {
        if (!report.empty()) report += "\n";
        report += std::string(way) + " " + in_child(std::nullopt, open, std::chrono::seconds(2));
    }
    return report;
}

constexpr const char kRefusedEveryWay[] =
    "RingSegment::open read-write not_a_ring/EPROTO"
    "\nRingSegment::open read-only not_a_ring/EPROTO"
    "\nPipe::open not_a_ring/EPROTO"
    "\nQueue::open not_a_ring/EPROTO"
    "\nshmring_pipe_open EPROTO"
    "\nshmring_queue_open EPROTO";

TEST(PlantedObject, shouldRefuseASymbolicLinkToARealRing) {
    RingName target("link-target");
    ASSERT_TRUE(create_pipe(target, 4096));
    RingName name("link");
    ASSERT_EQ(::symlink(object_path(target).c_str(), object_path(name).c_str()), 0) << std::strerror(errno);
    EXPECT_EQ(open_every_way(name), kRefusedEveryWay);
}

TEST(PlantedObject, shouldNotCreateARingThroughADanglingLink) {
    RingName target("dangling-target");
    RingName name("dangling");
    ASSERT_EQ(::symlink(object_path(target).c_str(), object_path(name).c_str()), 0) << std::strerror(errno);
    EXPECT_EQ(in_child(std::nullopt, [&] { return outcome(create_pipe(name, 4096)); }), "exists/EEXIST");
    EXPECT_FALSE(std::filesystem::exists(object_path(target))) << "the link was followed";
}

TEST(PlantedObject, shouldRefuseAFifo) {
    RingName name("fifo");
    ASSERT_EQ(::mkfifo(object_path(name).c_str(), 0600), 0) << std::strerror(errno);
    EXPECT_EQ(open_every_way(name), kRefusedEveryWay);
}

TEST(PlantedObject, shouldRefuseADirectory) {
    RingName name("directory");
    const std::string path = object_path(name);
    ASSERT_EQ(::mkdir(path.c_str(), 0700), 0) << std::strerror(errno);
    const std::string report = open_every_way(name);
    ::rmdir(path.c_str());
    EXPECT_EQ(report, kRefusedEveryWay);
}

}  // namespace
}  // namespace shmring::security_test
