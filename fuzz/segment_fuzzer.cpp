// libFuzzer target: a segment whose every byte the fuzzer chose (fuzz_input.hpp).
//
// The harness writes the image into a real POSIX shared-memory object and runs the library's
// read paths against it, exactly as a process would that opens a ring another process wrote:
// RingSegment::open and validate_header, attaching each role, and a bounded number of
// non-blocking operations per handle (records, slots, repairs, pipe reads, queue receives, topics,
// service calls).
// With a script (fuzz_input.hpp) the handles live side by side while the input rewrites the
// segment between their operations: the class of bug where a value is validated once and then
// read again after another process changed it.
// The library treats the segment as untrusted, so every outcome must be a value (an Errc, a
// Status): a crash, a sanitizer report, or an input that runs into libFuzzer's -timeout is a bug.
//
// One thing is not left to the fuzzer. The header's ready state: an unready segment makes
// every open wait 500 ms for its creator and then fail with not_ready (tests/unit/segment_test.cpp),
// which would only slow the campaign down, so the harness stores kStateReady.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
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
#include "shmring/service.hpp"
#include "shmring/spsc_ring.hpp"
#include "shmring/topic.hpp"

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

// Writes the image into a new object; returns its descriptor (kept for the script's mutations),
// or -1 when the harness cannot work.
int write_object(const Input& input) {
    const std::string object = Segment::object_name(ring_name());
    // An earlier process with the same pid may have crashed and left its object behind.
    ::shm_unlink(object.c_str());
    const int fd = ::shm_open(object.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    bool written = ::ftruncate(fd, static_cast<off_t>(input.object_size)) == 0;
    const std::size_t length = std::min(input.image.size(), input.object_size);
    written = written && ::pwrite(fd, input.image.data(), length, 0) == static_cast<ssize_t>(length);
    const auto overwrite = [&](std::size_t offset, std::uint32_t value) {
        if (offset + sizeof value > input.object_size) return;
        written = written && ::pwrite(fd, &value, sizeof value, static_cast<off_t>(offset)) == sizeof value;
    };
    overwrite(offsetof(layout::SegmentHeader, state), layout::kStateReady);
    if (written) return fd;
    ::close(fd);
    return -1;
}

std::span<std::byte> receive_buffer(std::uint8_t variants) {
    return (variants & kVariantSmallBuffer) != 0 ? scratch().first(kSmallBuffer) : scratch();
}

// Reads every byte of a message handed out in place, so that AddressSanitizer checks its bounds.
void touch(std::span<const std::byte> data) {
    if (!data.empty()) std::memmove(scratch().data(), data.data(), std::min(data.size(), scratch().size()));
}

// One attached handle of one Role, driven one operation at a time, each in the form `variants`
// says. step() returns false once the handle stops making progress (nothing to do, or an error);
// finish() is its last word before it closes (a publish, a repair).
class Actor {
public:
    virtual ~Actor() = default;
    virtual bool step(int step, std::uint8_t variants) = 0;
    virtual void finish() {}
};

class SpscConsumerActor final : public Actor {
public:
    explicit SpscConsumerActor(SpscConsumer consumer) : consumer_(std::move(consumer)) {}
    bool step(int, std::uint8_t variants) override {
        if ((variants & kVariantInPlace) != 0) {
            const View record = consumer_.try_peek();
            if (record.status != Status::ok) return false;
            touch(record.data);
            consumer_.release((variants & kVariantPublishLater) != 0 ? Flush::later : Flush::now);
            return true;
        }
        std::size_t length = 0;
        return consumer_.try_receive(receive_buffer(variants), length) == Status::ok;
    }
    void finish() override { consumer_.flush(); }

private:
    SpscConsumer consumer_;
};

class SpscProducerActor final : public Actor {
public:
    explicit SpscProducerActor(SpscProducer producer) : producer_(std::move(producer)) {}
    bool step(int step, std::uint8_t variants) override {
        const auto message = payload(step, producer_.max_message());
        if ((variants & kVariantInPlace) == 0) return producer_.try_send(message, static_cast<std::uint32_t>(step)) == Status::ok;
        const Loan claim = producer_.try_claim_up_to(message.size());
        if (claim.status != Status::ok) return false;
        std::memcpy(claim.data.data(), message.data(), claim.data.size());
        if ((variants & kVariantAbort) != 0) {
            producer_.abort();
        } else {
            producer_.commit(claim.data.size(), static_cast<std::uint32_t>(step), (variants & kVariantPublishLater) != 0 ? Flush::later : Flush::now);
        }
        return true;
    }
    void finish() override { producer_.flush(); }

private:
    SpscProducer producer_;
};

class MpmcConsumerActor final : public Actor {
public:
    explicit MpmcConsumerActor(MpmcConsumer consumer) : consumer_(std::move(consumer)) {}
    bool step(int, std::uint8_t variants) override {
        if ((variants & kVariantInPlace) != 0) {
            const View message = consumer_.try_peek();
            if (message.status != Status::ok) return false;
            touch(message.data);
            consumer_.release();
            return true;
        }
        std::size_t length = 0;
        return consumer_.try_receive(receive_buffer(variants), length) == Status::ok;
    }
    // A stalled slot whose claimant the registry says is dead gets repaired here.
    void finish() override { consumer_.repair_stalled(); }

private:
    MpmcConsumer consumer_;
};

class MpmcProducerActor final : public Actor {
public:
    explicit MpmcProducerActor(MpmcProducer producer) : producer_(std::move(producer)) {}
    bool step(int step, std::uint8_t variants) override {
        const auto message = payload(step, producer_.max_message());
        if ((variants & kVariantInPlace) == 0) return producer_.try_send(message) == Status::ok;
        const Loan loan = producer_.try_claim();
        if (loan.status != Status::ok) return false;
        std::memcpy(loan.data.data(), message.data(), message.size());
        if ((variants & kVariantAbort) != 0) {
            producer_.abort();
        } else {
            producer_.commit(message.size());
        }
        return true;
    }
    void finish() override { producer_.repair_stalled(); }

private:
    MpmcProducer producer_;
};

class PipeReaderActor final : public Actor {
public:
    explicit PipeReaderActor(PipeReader pipe) : pipe_(std::move(pipe)) {}
    bool step(int, std::uint8_t variants) override {
        const IoResult result = pipe_.read(receive_buffer(variants), Blocking::no);
        return result.status == Status::ok && result.count != 0;
    }

private:
    PipeReader pipe_;
};

class PipeWriterActor final : public Actor {
public:
    explicit PipeWriterActor(PipeWriter pipe) : pipe_(std::move(pipe)) {}
    bool step(int step, std::uint8_t) override {
        const IoResult result = pipe_.write(payload(step, scratch().size()), Blocking::no);
        return result.status == Status::ok && result.count != 0;
    }

private:
    PipeWriter pipe_;
};

class QueueReceiverActor final : public Actor {
public:
    explicit QueueReceiverActor(QueueReceiver queue) : queue_(std::move(queue)) {}
    bool step(int, std::uint8_t variants) override {
        if ((variants & kVariantInPlace) != 0) {
            const View view = queue_.peek(kTryOnce);
            if (view.status != Status::ok) return false;
            touch(view.data);
            queue_.release();
            return true;
        }
        std::size_t length = 0;
        return queue_.try_receive(receive_buffer(variants), length) == Status::ok;
    }

private:
    QueueReceiver queue_;
};

class QueueSenderActor final : public Actor {
public:
    explicit QueueSenderActor(QueueSender queue) : queue_(std::move(queue)) {}
    bool step(int step, std::uint8_t variants) override {
        const auto message = payload(step, queue_.max_message_size());
        if ((variants & kVariantInPlace) == 0) return queue_.try_send(message) == Status::ok;
        const Loan loan = queue_.claim(kTryOnce);
        if (loan.status != Status::ok) return false;
        std::memcpy(loan.data.data(), message.data(), std::min(message.size(), loan.data.size()));
        if ((variants & kVariantAbort) != 0) {
            queue_.abort();
        } else {
            queue_.commit(message.size());
        }
        return true;
    }

private:
    QueueSender queue_;
};

class TopicSubscriberActor final : public Actor {
public:
    explicit TopicSubscriberActor(TopicSubscriber subscriber) : subscriber_(std::move(subscriber)) {}
    bool step(int, std::uint8_t variants) override {
        if ((variants & kVariantInPlace) != 0) {
            const View message = subscriber_.try_peek();
            if (message.status != Status::ok) return false;
            touch(message.data);
            (void)subscriber_.release();
            return true;
        }
        std::size_t length = 0;
        std::uint64_t sequence = 0;
        return subscriber_.try_receive(receive_buffer(variants), length, &sequence) == Status::ok;
    }

private:
    TopicSubscriber subscriber_;
};

class TopicPublisherActor final : public Actor {
public:
    explicit TopicPublisherActor(TopicPublisher publisher) : publisher_(std::move(publisher)) {}
    bool step(int step, std::uint8_t variants) override {
        const auto message = payload(step, publisher_.max_message());
        if ((variants & kVariantInPlace) == 0) return publisher_.try_send(message) == Status::ok;
        const Loan loan = publisher_.try_claim();
        if (loan.status != Status::ok) return false;
        std::memcpy(loan.data.data(), message.data(), message.size());
        if ((variants & kVariantAbort) != 0) {
            publisher_.abort();
        } else {
            publisher_.commit(message.size());
        }
        return true;
    }
    // A dead subscriber holding a lossless topic back gets reaped here.
    void finish() override { (void)publisher_.reap_dead_subscribers(); }

private:
    TopicPublisher publisher_;
};

// A client: sends, then looks for the response of its last call, or gives it up.
class ServiceClientActor final : public Actor {
public:
    explicit ServiceClientActor(ServiceClient client) : client_(std::move(client)) {}
    bool step(int step, std::uint8_t variants) override {
        if (last_ != 0) {
            std::size_t length = 0;
            const Status status = (variants & kVariantAbort) != 0 ? (client_.cancel(last_), Status::ok)
                                                                  : client_.try_wait(last_, receive_buffer(variants), length);
            if (status != Status::again) last_ = 0;
        }
        return client_.try_send(payload(step, client_.max_request()), last_) == Status::ok;
    }
    // Calls that wait for dead servers get settled here.
    void finish() override { (void)client_.settle_calls_if_gone(); }

private:
    ServiceClient client_;
    std::uint64_t last_ = 0;
};

// A server: takes a request and answers it, in place or by copy.
class ServiceServerActor final : public Actor {
public:
    explicit ServiceServerActor(ServiceServer server) : server_(std::move(server)) {}
    bool step(int step, std::uint8_t variants) override {
        const Request request = server_.try_receive();
        if (request.status != Status::ok) return false;
        touch(request.data);
        if ((variants & kVariantInPlace) != 0) {
            const auto room = server_.response_buffer(request.id);
            (void)server_.reply(request.id, std::min(room.size(), request.data.size()));
        } else {
            (void)server_.reply(request.id, payload(step, server_.max_response()));
        }
        return true;
    }
    // A client that died sending gets its queue slot repaired here.
    void finish() override { (void)server_.repair_stalled(); }

private:
    ServiceServer server_;
};

template <class A, class Handle>
std::unique_ptr<Actor> actor_of(Result<Handle> handle) {
    if (!handle) return nullptr;
    return std::make_unique<A>(std::move(*handle));
}

// The slot roles attach to whichever slot engine the segment says: MPMC, a service (producers
// as clients, consumers as servers), or else a topic.
template <class MpmcActor, class TopicActor, class MpmcHandle, class TopicHandle>
std::unique_ptr<Actor> slot_actor(std::uint8_t variants) {
    auto mpmc = MpmcHandle::attach(ring_name());
    if (mpmc || mpmc.error().code() != Errc::wrong_kind) return actor_of<MpmcActor>(std::move(mpmc));
    constexpr bool consumer = std::is_same_v<TopicHandle, TopicSubscriber>;
    using ServiceHandle = std::conditional_t<consumer, ServiceServer, ServiceClient>;
    using ServiceActor = std::conditional_t<consumer, ServiceServerActor, ServiceClientActor>;
    auto service = ServiceHandle::attach(ring_name());
    if (service || service.error().code() != Errc::wrong_kind) return actor_of<ServiceActor>(std::move(service));
    if constexpr (std::is_same_v<TopicHandle, TopicSubscriber>) {
        // kVariantPublishLater, which topics have no use for, starts a subscriber at the oldest message.
        const auto start = (variants & kVariantPublishLater) != 0 ? TopicStart::oldest : TopicStart::next;
        return actor_of<TopicActor>(TopicSubscriber::attach(ring_name(), {}, start));
    } else {
        return actor_of<TopicActor>(TopicHandle::attach(ring_name()));
    }
}

// Attaches `role` to the fuzzed ring, in the form `variants` says; nothing when the library refuses.
std::unique_ptr<Actor> attach(Role role, std::uint8_t variants) {
    switch (role) {
        case Role::spsc_consumer: return actor_of<SpscConsumerActor>(SpscConsumer::attach(ring_name()));
        case Role::spsc_producer: return actor_of<SpscProducerActor>(SpscProducer::attach(ring_name()));
        case Role::slot_consumer: return slot_actor<MpmcConsumerActor, TopicSubscriberActor, MpmcConsumer, TopicSubscriber>(variants);
        case Role::slot_producer: return slot_actor<MpmcProducerActor, TopicPublisherActor, MpmcProducer, TopicPublisher>(variants);
        case Role::pipe_reader: return actor_of<PipeReaderActor>(PipeReader::open(ring_name()));
        case Role::pipe_writer: return actor_of<PipeWriterActor>(PipeWriter::open(ring_name()));
        case Role::queue_receiver: return actor_of<QueueReceiverActor>(QueueReceiver::open(ring_name()));
        case Role::queue_sender: return actor_of<QueueSenderActor>(QueueSender::open(ring_name()));
    }
    return nullptr;
}

// Without a script: each role of the plan in turn attaches, runs up to kSteps operations, closes.
void run_roles_in_turn(const Input& input) {
    for (unsigned i = 0; i < kRoleCount; ++i) {
        const auto role = static_cast<Role>(i);
        if ((input.plan.roles & role_bit(role)) == 0) continue;
        const auto actor = attach(role, input.plan.variants);
        if (!actor) continue;
        for (int step = 0; step < kSteps && actor->step(step, input.plan.variants); ++step) {
        }
        actor->finish();
    }
}

// With a script: every role of the plan attached at once, its operations interleaved with writes
// into the live segment (fuzz_input.hpp), so that a value the library read once can change before
// it reads it again.
void run_script(const Input& input, int fd) {
    std::unique_ptr<Actor> actors[kRoleCount];
    for (unsigned i = 0; i < kRoleCount; ++i)
        if ((input.plan.roles & role_bit(static_cast<Role>(i))) != 0) actors[i] = attach(static_cast<Role>(i), input.plan.variants);
    const auto script = input.script;
    int step = 0;
    for (std::size_t at = 0; at < script.size();) {
        const std::uint8_t op = script[at++];
        if ((op & kScriptMutation) == 0) {
            if (auto& actor = actors[op % kRoleCount]) (void)actor->step(step++, input.plan.variants ^ script_variants(op));
            continue;
        }
        if (at + kMutationSize > script.size() || input.object_size == 0) break;
        const std::size_t offset = (script[at] | (script[at + 1] << 8) | (script[at + 2] << 16)) % input.object_size;
        const std::size_t length = std::min<std::size_t>(4, input.object_size - offset);
        // pwrite, not a store through our mapping: another process's write, seen through the page cache.
        (void)!::pwrite(fd, script.data() + at + 3, length, static_cast<off_t>(offset));
        at += kMutationSize;
    }
    for (auto& actor : actors)
        if (actor) actor->finish();
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

}  // namespace
}  // namespace shmring::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace shmring::fuzz;
    const Input input = decode({data, size});
    if (input.image.empty()) return -1;  // not even a plan: keep it out of the corpus
    const int fd = write_object(input);
    if (fd < 0) __builtin_trap();  // the harness cannot work: say so loudly
    exercise_segment(input);
    if ((input.plan.variants & kVariantScript) != 0) {
        run_script(input, fd);
    } else {
        run_roles_in_turn(input);
    }
    ::close(fd);
    ::shm_unlink(shmring::Segment::object_name(ring_name()).c_str());
    return 0;
}
