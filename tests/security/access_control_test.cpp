// Another user against rings created by root: a private ring (0600) keeps it out entirely, a
// shared one (0666) lets it in only when it accepts a ring owned by someone else. Each check runs
// in a forked child that has given up root for the unprivileged user (child.hpp).
#include <gtest/gtest.h>

#include <sys/mman.h>

#include "child.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/shmring.h"
#include "support/test_ring.hpp"

namespace shmring::security_test {
namespace {

using testing::RingName;

// The other user, or a skip of the calling test when the machine cannot provide one.
#define REQUIRE_OTHER_USER(account)                                             \
    const auto account##_or_reason = other_user();                              \
    if (const auto* reason = std::get_if<std::string>(&account##_or_reason)) { \
        GTEST_SKIP() << *reason;                                                \
    }                                                                           \
    const Account account = std::get<Account>(account##_or_reason)

EndpointOptions accepting_foreign_owner() {
    EndpointOptions options;
    options.segment.allow_foreign_owner = true;
    return options;
}

QueueConfig small_queue(layout::Engine engine, unsigned mode) {
    QueueConfig config;
    config.max_messages = 8;
    config.max_message_size = 64;
    config.engine = engine;
    config.mode = mode;
    return config;
}

std::string text_of(std::span<const std::byte> bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

TEST(AccessControl, shouldKeepAnotherUserOutOfAPrivatePipe) {
    REQUIRE_OTHER_USER(user);
    RingName name("private-pipe");
    ASSERT_TRUE(create_pipe(name, 4096));  // mode 0600
    const std::string path = object_path(name);
    const std::string report = in_child(user, [&] {
        shmring_pipe* pipe = nullptr;
        return "Pipe::open " + outcome(PipeReader::open(name)) +
               "\nPipe::open accepting a foreign owner " + outcome(PipeWriter::open(name, accepting_foreign_owner())) +
               "\nRingSegment::open read-only " + outcome(RingSegment::open(name, Access::read_only, {}, accepting_foreign_owner().segment)) +
               "\nshmring_pipe_open " + c_outcome(shmring_pipe_open(name.str().c_str(), SHMRING_RECEIVER, &pipe)) +
               "\nopen for reading " + open_outcome(path, O_RDONLY) +
               "\nopen for writing " + open_outcome(path, O_WRONLY) +
               // /dev/shm is sticky: only the owner (or root) may remove what is in it. The kernel
               // says EPERM; shm_unlink(3) reports it as EACCES.
               "\nshm_unlink " + sys_outcome(::shm_unlink(Segment::object_name(name).c_str())) +
               "\nSegment::unlink " + outcome(Segment::unlink(name)) +
               "\nshmring_unlink " + c_outcome(shmring_unlink(name.str().c_str()));
    });
    EXPECT_EQ(report,
              "Pipe::open permission_denied/EACCES"
              "\nPipe::open accepting a foreign owner permission_denied/EACCES"
              "\nRingSegment::open read-only permission_denied/EACCES"
              "\nshmring_pipe_open EACCES"
              "\nopen for reading EACCES"
              "\nopen for writing EACCES"
              "\nshm_unlink EACCES"
              "\nSegment::unlink permission_denied/EACCES"
              "\nshmring_unlink EACCES");
    // Nothing the other user tried touched the ring.
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    EXPECT_EQ(reader->ring().segment().owner_uid(), 0U);
}

TEST(AccessControl, shouldKeepAnotherUserOutOfAPrivateQueue) {
    REQUIRE_OTHER_USER(user);
    for (const auto engine : {layout::Engine::spsc, layout::Engine::mpmc}) {
        RingName name("private-queue");
        ASSERT_TRUE(create_queue(name, small_queue(engine, 0600)));
        const std::string report = in_child(user, [&] {
            shmring_queue* queue = nullptr;
            return "Queue::open " + outcome(QueueSender::open(name)) +
                   "\nQueue::open accepting a foreign owner " + outcome(QueueReceiver::open(name, accepting_foreign_owner())) +
                   "\nshmring_queue_open " + c_outcome(shmring_queue_open(name.str().c_str(), SHMRING_SENDER, &queue));
        });
        EXPECT_EQ(report,
                  "Queue::open permission_denied/EACCES"
                  "\nQueue::open accepting a foreign owner permission_denied/EACCES"
                  "\nshmring_queue_open EACCES")
            << (engine == layout::Engine::spsc ? "SPSC" : "MPMC");
    }
}

TEST(AccessControl, shouldLetAnotherUserUseASharedPipeOnlyWhenItAcceptsAForeignOwner) {
    REQUIRE_OTHER_USER(user);
    RingName name("shared-pipe");
    ASSERT_TRUE(create_pipe(name, 4096, 0666));
    const std::string message = "written by another user";
    const std::string report = in_child(user, [&] {
        shmring_pipe* refused = nullptr;
        std::string seen = "Pipe::open " + outcome(PipeWriter::open(name)) +
                           // The C API has no way to accept a foreign owner.
                           "\nshmring_pipe_open " + c_outcome(shmring_pipe_open(name.str().c_str(), SHMRING_SENDER, &refused));
        auto writer = PipeWriter::open(name, accepting_foreign_owner());
        seen += "\nPipe::open accepting a foreign owner " + outcome(writer);
        if (writer) {
            const IoResult written = writer->write(testing::bytes_of(message), Blocking::no);
            seen += "\nwrite " + std::string(describe(written.status)) + " " + std::to_string(written.count);
        }
        return seen;
    });
    EXPECT_EQ(report,
              "Pipe::open permission_denied/EACCES"
              "\nshmring_pipe_open EACCES"
              "\nPipe::open accepting a foreign owner ok"
              "\nwrite ok " + std::to_string(message.size()));
    auto reader = PipeReader::open(name);
    ASSERT_TRUE(reader) << reader.error().message();
    std::vector<std::byte> buffer(256);
    const IoResult read = reader->read(buffer, Blocking::no);
    ASSERT_EQ(read.status, Status::ok);
    EXPECT_EQ(text_of(std::span(buffer).first(read.count)), message);
    EXPECT_EQ(reader->read(buffer, Blocking::no).count, 0U) << "the other user's writer has closed: end of file";
}

TEST(AccessControl, shouldLetAnotherUserUseASharedQueueOnlyWhenItAcceptsAForeignOwner) {
    REQUIRE_OTHER_USER(user);
    for (const auto engine : {layout::Engine::spsc, layout::Engine::mpmc}) {
        RingName name("shared-queue");
        ASSERT_TRUE(create_queue(name, small_queue(engine, 0666)));
        const std::string message = "queued by another user";
        const std::string report = in_child(user, [&] {
            std::string seen = "Queue::open " + outcome(QueueSender::open(name));
            auto sender = QueueSender::open(name, accepting_foreign_owner());
            seen += "\nQueue::open accepting a foreign owner " + outcome(sender);
            if (sender) seen += "\ntry_send " + std::string(describe(sender->try_send(testing::bytes_of(message))));
            return seen;
        });
        const char* engine_name = engine == layout::Engine::spsc ? "SPSC" : "MPMC";
        EXPECT_EQ(report,
                  "Queue::open permission_denied/EACCES"
                  "\nQueue::open accepting a foreign owner ok"
                  "\ntry_send ok")
            << engine_name;
        auto receiver = QueueReceiver::open(name);
        ASSERT_TRUE(receiver) << receiver.error().message();
        std::vector<std::byte> buffer(64);
        std::size_t length = 0;
        ASSERT_EQ(receiver->try_receive(buffer, length), Status::ok) << engine_name;
        EXPECT_EQ(text_of(std::span(buffer).first(length)), message) << engine_name;
    }
}

}  // namespace
}  // namespace shmring::security_test
