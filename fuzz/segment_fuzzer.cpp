// libFuzzer target: a segment whose every byte the fuzzer chose (fuzz_input.hpp).
//
// The harness writes the image into a real POSIX shared-memory object and runs the library's
// read paths against it, exactly as a process would that opens a ring another process wrote:
// RingSegment::open and validate_header, attaching each role, and a bounded number of
// non-blocking operations per handle (records, slots, repairs, pipe reads, queue receives).
// The library treats the segment as untrusted, so every outcome must be a value (an Errc, a
// Status): a crash, a sanitizer report, or an input that runs into libFuzzer's -timeout is a bug.
//
// Two things are not left to the fuzzer. The header's ready state: an unready segment makes
// every open wait 500 ms for its creator and then fail with not_ready (tests/unit/segment_test.cpp),
// which would only slow the campaign down, so the harness stores kStateReady. And the
// placeholder pid namespace of fuzz_input.hpp, which becomes this process's own.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <span>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

#include "fuzz_input.hpp"
#include "shmring/endpoint.hpp"
#include "shmring/layout.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "shmring/ring_segment.hpp"
#include "shmring/spsc_ring.hpp"

namespace shmring::fuzz {
namespace {

// Operations per handle: enough to cross a wrap, skip void slots and fill a small ring; few
// enough that no input runs long whatever the segment says.
constexpr int kSteps = 8;
constexpr std::size_t kSmallBuffer = 7;

// Per process, so that parallel fuzzing jobs never share an object.
const std::string& ring_name() {
    static const std::string name = "fuzz." + std::to_string(::getpid());
    return name;
}

// Room for the largest message any valid header allows (an MPMC slot of kMaxSlotSize bytes).
std::span<std::byte> scratch() {
    static std::vector<std::byte> buffer(layout::kMaxSlotSize);
    return buffer;
}

// The payload a producer sends at `step`: lengths vary so that records wrap at different places.
std::span<const std::byte> payload(int step, std::size_t max_message) {
    const std::size_t length = std::min<std::size_t>(static_cast<std::size_t>(step) * 24 + 1, max_message);
    return scratch().first(length);
}

bool write_object(const Input& input) {
    const std::string object = Segment::object_name(ring_name());
    // An earlier process with the same pid may have crashed and left its object behind.
    ::shm_unlink(object.c_str());
    const int fd = ::shm_open(object.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    bool written = ::ftruncate(fd, static_cast<off_t>(input.object_size)) == 0;
    const std::size_t length = std::min(input.image.size(), input.object_size);
    written = written && ::pwrite(fd, input.image.data(), length, 0) == static_cast<ssize_t>(length);
    const auto overwrite = [&](std::size_t offset, std::uint32_t value) {
        if (offset + sizeof value > input.object_size) return;
        written = written && ::pwrite(fd, &value, sizeof value, static_cast<off_t>(offset)) == sizeof value;
    };
    overwrite(offsetof(layout::SegmentHeader, state), layout::kStateReady);
    ::close(fd);
    return written;
}

std::span<std::byte> receive_buffer(std::uint8_t variants) {
    return (variants & kVariantSmallBuffer) != 0 ? scratch().first(kSmallBuffer) : scratch();
}

// Reads every byte of a message handed out in place, so that AddressSanitizer checks its bounds.
void touch(std::span<const std::byte> data) {
    if (!data.empty()) std::memmove(scratch().data(), data.data(), std::min(data.size(), scratch().size()));
}

void exercise_spsc_consumer(std::uint8_t variants) {
    auto consumer = SpscConsumer::attach(ring_name());
    if (!consumer) return;
    const Publish when = (variants & kVariantPublishLater) != 0 ? Publish::later : Publish::now;
    for (int step = 0; step < kSteps; ++step) {
        if ((variants & kVariantInPlace) != 0) {
            const Record record = consumer->try_peek();
            if (record.status != Status::ok) break;
            touch(record.data);
            consumer->release(when);
        } else {
            std::size_t length = 0;
            const Status status = consumer->try_receive(receive_buffer(variants), length);
            if (status != Status::ok) break;
        }
    }
    consumer->publish();
}

void exercise_spsc_producer(std::uint8_t variants) {
    auto producer = SpscProducer::attach(ring_name());
    if (!producer) return;
    const Publish when = (variants & kVariantPublishLater) != 0 ? Publish::later : Publish::now;
    for (int step = 0; step < kSteps; ++step) {
        const auto message = payload(step, producer->max_message());
        if ((variants & kVariantInPlace) != 0) {
            const Claim claim = producer->try_claim_up_to(message.size());
            if (claim.status != Status::ok) break;
            std::memcpy(claim.data.data(), message.data(), claim.data.size());
            if ((variants & kVariantAbort) != 0) {
                producer->abort();
            } else {
                producer->commit(static_cast<std::uint32_t>(step), when);
            }
        } else if (producer->try_send(message, static_cast<std::uint32_t>(step)) != Status::ok) {
            break;
        }
    }
    producer->publish();
}

void exercise_mpmc_consumer(std::uint8_t variants) {
    auto consumer = MpmcConsumer::attach(ring_name());
    if (!consumer) return;
    for (int step = 0; step < kSteps; ++step) {
        if ((variants & kVariantInPlace) != 0) {
            const Message message = consumer->try_take();
            if (message.status != Status::ok) break;
            touch(message.data);
            consumer->release();
        } else {
            std::size_t length = 0;
            if (consumer->try_receive(receive_buffer(variants), length) != Status::ok) break;
        }
    }
    // A stalled slot whose claimant the registry says is dead gets repaired here.
    consumer->repair_stalled();
}

void exercise_mpmc_producer(std::uint8_t variants) {
    auto producer = MpmcProducer::attach(ring_name());
    if (!producer) return;
    for (int step = 0; step < kSteps; ++step) {
        const auto message = payload(step, producer->max_message());
        if ((variants & kVariantInPlace) != 0) {
            const SlotLoan loan = producer->try_loan();
            if (loan.status != Status::ok) break;
            std::memcpy(loan.data.data(), message.data(), message.size());
            if ((variants & kVariantAbort) != 0) {
                producer->abort();
            } else {
                producer->publish(message.size());
            }
        } else if (producer->try_send(message) != Status::ok) {
            break;
        }
    }
    producer->repair_stalled();
}

void exercise_pipe(PipeRole role, std::uint8_t variants) {
    auto pipe = Pipe::open(ring_name(), role);
    if (!pipe) return;
    for (int step = 0; step < kSteps; ++step) {
        const IoResult result = role == PipeRole::reader
                                    ? pipe->read(receive_buffer(variants), Blocking::no)
                                    : pipe->write(payload(step, scratch().size()), Blocking::no);
        if (result.status != Status::ok || result.count == 0) break;
    }
}

void exercise_queue_receiver(std::uint8_t variants) {
    auto queue = Queue::open(ring_name(), QueueRole::receiver);
    if (!queue) return;
    for (int step = 0; step < kSteps; ++step) {
        if ((variants & kVariantInPlace) != 0) {
            // A deadline in the past only tries (queue.hpp).
            const QueueView view = queue->peek(Deadline::min());
            if (view.status != Status::ok) break;
            touch(view.data);
            queue->release();
        } else {
            std::size_t length = 0;
            if (queue->try_receive(receive_buffer(variants), length) != Status::ok) break;
        }
    }
}

void exercise_queue_sender(std::uint8_t variants) {
    auto queue = Queue::open(ring_name(), QueueRole::sender);
    if (!queue) return;
    for (int step = 0; step < kSteps; ++step) {
        const auto message = payload(step, queue->max_message_size());
        if ((variants & kVariantInPlace) != 0) {
            const QueueLoan loan = queue->loan(Deadline::min());
            if (loan.status != Status::ok) break;
            std::memcpy(loan.data.data(), message.data(), std::min(message.size(), loan.data.size()));
            if ((variants & kVariantAbort) != 0) {
                queue->abort();
            } else {
                queue->publish(message.size());
            }
        } else if (queue->try_send(message) != Status::ok) {
            break;
        }
    }
}

// The paths every input takes, whatever its plan: the pure header check, a read-only open (which
// no role may attach to), and the registry sweep that reclaims dead endpoints.
void exercise_segment(const Input& input) {
    if (input.image.size() >= sizeof(layout::SegmentHeader)) {
        layout::SegmentHeader header;
        std::memcpy(static_cast<void*>(&header), input.image.data(), sizeof header);
        (void)validate_header(header, input.object_size, ring_name());
    }
    if (auto read_only = RingSegment::open(ring_name(), Access::read_only)) {
        (void)Endpoint::attach(std::move(*read_only), layout::EndpointRole::observer);
    }
    if (auto ring = RingSegment::open(ring_name(), Access::read_write)) {
        reap_dead_endpoints(*ring);
    }
}

void exercise(Role role, std::uint8_t variants) {
    switch (role) {
        case Role::spsc_consumer: return exercise_spsc_consumer(variants);
        case Role::spsc_producer: return exercise_spsc_producer(variants);
        case Role::mpmc_consumer: return exercise_mpmc_consumer(variants);
        case Role::mpmc_producer: return exercise_mpmc_producer(variants);
        case Role::pipe_reader: return exercise_pipe(PipeRole::reader, variants);
        case Role::pipe_writer: return exercise_pipe(PipeRole::writer, variants);
        case Role::queue_receiver: return exercise_queue_receiver(variants);
        case Role::queue_sender: return exercise_queue_sender(variants);
    }
}

}  // namespace
}  // namespace shmring::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace shmring::fuzz;
    const Input input = decode({data, size});
    if (input.image.empty()) return -1;  // not even a plan: keep it out of the corpus
    if (!write_object(input)) __builtin_trap();  // the harness cannot work: say so loudly
    exercise_segment(input);
    for (unsigned i = 0; i < kRoleCount; ++i) {
        const auto role = static_cast<Role>(i);
        if ((input.plan.roles & role_bit(role)) != 0) exercise(role, input.plan.variants);
    }
    ::shm_unlink(shmring::Segment::object_name(ring_name()).c_str());
    return 0;
}
