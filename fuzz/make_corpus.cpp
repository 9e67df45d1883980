// Writes the seed corpus of the segment fuzzer: usage `make_corpus <directory>`.
//
// Every valid seed is a ring the library itself created and moved messages through, copied out
// of /dev/shm; the damaged seeds are valid ones with one field broken. Fields that would differ
// from run to run (pids, start times, clocks, the pid namespace) are zeroed. The seeds read the
// same on every machine, and an endpoint still attached in them holds no lease (fuzz_input.hpp):
// it is dead, which sends the library down its repair paths.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_input.hpp"
#include "shmring/detail/mpmc_slots.hpp"
#include "shmring/layout.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/pipe.hpp"
#include "shmring/queue.hpp"
#include "shmring/spsc_ring.hpp"
#include "shmring/service.hpp"
#include "shmring/topic.hpp"

namespace shmring::fuzz {
namespace {

using Image = std::vector<std::uint8_t>;

template <class T>
T get(const Image& image, std::size_t offset) {
    T value;
    std::memcpy(&value, image.data() + offset, sizeof value);
    return value;
}

template <class T>
void put(Image& image, std::size_t offset, T value) {
    std::memcpy(image.data() + offset, &value, sizeof value);
}

std::size_t entry_offset(std::uint32_t index) { return layout::kRegistryOffset + index * sizeof(layout::EndpointEntry); }

std::size_t slot_offset(std::uint64_t index, std::uint32_t stride) { return layout::kDataOffset + index * stride; }

void scrub(Image& image) {
    put<std::uint32_t>(image, offsetof(layout::SegmentHeader, creator_pid), 0);
    put<std::uint64_t>(image, offsetof(layout::SegmentHeader, creator_start_time), 0);
    put<std::uint64_t>(image, offsetof(layout::SegmentHeader, created_realtime_ns), 0);
    for (std::uint32_t i = 0; i < layout::kMaxEndpoints; ++i) {
        const std::size_t entry = entry_offset(i);
        const auto state = get<std::uint64_t>(image, entry + offsetof(layout::EndpointEntry, state));
        if (layout::endpoint_status(state) == layout::EndpointStatus::free) continue;
        put<std::uint32_t>(image, entry + offsetof(layout::EndpointEntry, pid), 0);
        put<std::uint64_t>(image, entry + offsetof(layout::EndpointEntry, start_time), 0);
        put<std::uint32_t>(image, entry + offsetof(layout::EndpointEntry, pid_namespace), 0);
        put<std::uint64_t>(image, entry + offsetof(layout::EndpointEntry, attached_realtime_ns), 0);
    }
}

class Generator {
public:
    explicit Generator(std::string directory) : directory_(std::move(directory)) {}

    // A fresh ring name for one seed; the ring is removed once its image is taken.
    std::string name() { return "fuzz-seed." + std::to_string(::getpid()) + "." + std::to_string(count_++); }

    Image take(const std::string& name) {
        const std::string path = "/dev/shm" + Segment::object_name(name);
        std::ifstream file(path, std::ios::binary);
        Image image{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
        (void)Segment::unlink(name);
        if (image.empty()) fail("cannot read " + path);
        scrub(image);
        return image;
    }

    void write(const std::string& seed, const Plan& plan, const Image& image, const std::vector<std::uint8_t>& script = {}) {
        const auto bytes = encode(plan, image, script);
        std::ofstream file(directory_ + "/" + seed, std::ios::binary | std::ios::trunc);
        file.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        if (!file) fail("cannot write " + seed);
        ++written_;
    }

    int written() const { return written_; }

    [[noreturn]] static void fail(const std::string& why) {
        std::fprintf(stderr, "make_corpus: %s\n", why.c_str());
        std::exit(1);
    }

private:
    std::string directory_;
    int count_ = 0;
    int written_ = 0;
};

template <class T>
T must(Result<T> result, const char* what) {
    if (!result) Generator::fail(std::string(what) + ": " + result.error().message());
    return std::move(*result);
}

void must(Status status, const char* what) {
    if (status != Status::ok) Generator::fail(std::string(what) + ": " + describe(status));
}

std::vector<std::byte> bytes(std::size_t length, std::uint8_t fill) { return std::vector<std::byte>(length, std::byte{fill}); }

constexpr std::uint8_t kSpscRoles = role_bit(Role::spsc_consumer) | role_bit(Role::spsc_producer);
constexpr std::uint8_t kSlotRoles = role_bit(Role::slot_consumer) | role_bit(Role::slot_producer);
constexpr std::uint8_t kPipeRoles = role_bit(Role::pipe_reader) | role_bit(Role::pipe_writer);
constexpr std::uint8_t kQueueRoles = role_bit(Role::queue_receiver) | role_bit(Role::queue_sender);

// 256 bytes of records, some read, the last ones wrapped behind a padding record.
Image spsc_with_wrapped_records(Generator& g) {
    const std::string name = g.name();
    must(create_spsc_ring(name, 256), "create_spsc_ring");
    {
        auto producer = must(SpscProducer::attach(name), "attach producer");
        auto consumer = must(SpscConsumer::attach(name), "attach consumer");
        std::vector<std::byte> buffer(256);
        std::size_t length = 0;
        for (const std::size_t size : {40, 72, 24}) must(producer.try_send(bytes(size, 0xA1)), "send");
        for (int i = 0; i < 2; ++i) must(consumer.try_receive(buffer, length), "receive");
        for (const std::size_t size : {56, 48}) must(producer.try_send(bytes(size, 0xB2), 7), "send wrapped");
    }
    return g.take(name);
}

Image pipe_with_partial_read(Generator& g, bool writer_stays) {
    const std::string name = g.name();
    must(create_pipe(name, 256), "create_pipe");
    std::optional<PipeWriter> writer = must(PipeWriter::open(name), "open writer");
    {
        auto reader = must(PipeReader::open(name), "open reader");
        must(writer->write(bytes(100, 0xC3), Blocking::no).status, "write");
        std::vector<std::byte> buffer(30);
        must(reader.read(buffer, Blocking::no).status, "read");
    }
    // A writer that stays leaves its entry and role word behind: a dead writer's, once scrubbed.
    if (!writer_stays) writer.reset();
    return g.take(name);
}

Image spsc_queue(Generator& g) {
    const std::string name = g.name();
    QueueConfig config;
    config.max_messages = 4;
    config.max_message_size = 32;
    must(create_queue(name, config), "create_queue");
    {
        auto sender = must(QueueSender::open(name), "open sender");
        auto receiver = must(QueueReceiver::open(name), "open receiver");
        for (const std::size_t size : {32, 1, 17}) must(sender.try_send(bytes(size, 0xD4)), "send");
        std::vector<std::byte> buffer(32);
        std::size_t length = 0;
        must(receiver.try_receive(buffer, length), "receive");
    }
    return g.take(name);
}

// Four slots, tickets past the first wrap, two messages waiting.
Image mpmc_wrapped(Generator& g) {
    const std::string name = g.name();
    must(create_mpmc_ring(name, 4, 48), "create_mpmc_ring");
    {
        auto producer = must(MpmcProducer::attach(name), "attach producer");
        auto consumer = must(MpmcConsumer::attach(name), "attach consumer");
        std::vector<std::byte> buffer(48);
        std::size_t length = 0;
        for (int i = 0; i < 6; ++i) {
            must(producer.try_send(bytes(static_cast<std::size_t>(i) * 8, 0xE5)), "send");
            if (i < 4) must(consumer.try_receive(buffer, length), "receive");
        }
    }
    return g.take(name);
}

Image mpmc_queue_with_void_slot(Generator& g) {
    const std::string name = g.name();
    QueueConfig config;
    config.max_messages = 4;
    config.max_message_size = 32;
    config.engine = layout::Engine::mpmc;
    must(create_queue(name, config), "create_queue");
    {
        auto sender = must(QueueSender::open(name), "open sender");
        must(sender.claim(kTryOnce).status, "claim");
        sender.abort();
        must(sender.try_send(bytes(20, 0xF6)), "send");
    }
    return g.take(name);
}

// A producer holds ticket 1 unpublished (and, scrubbed, is dead); ticket 2 is published behind it.
Image mpmc_abandoned_by_producer(Generator& g) {
    const std::string name = g.name();
    must(create_mpmc_ring(name, 4, 16), "create_mpmc_ring");
    auto first = must(MpmcProducer::attach(name), "attach producer");
    auto second = must(MpmcProducer::attach(name), "attach producer");
    must(first.try_send(bytes(16, 0x11)), "send");
    must(first.try_claim().status, "loan");
    must(second.try_send(bytes(8, 0x22)), "send");
    Image image = g.take(name);
    first.abort();
    return image;
}

// A consumer took ticket 0 and never released it (dead, scrubbed) while the ring is full.
Image mpmc_abandoned_by_consumer(Generator& g) {
    const std::string name = g.name();
    must(create_mpmc_ring(name, 2, 16), "create_mpmc_ring");
    auto producer = must(MpmcProducer::attach(name), "attach producer");
    auto consumer = must(MpmcConsumer::attach(name), "attach consumer");
    for (int i = 0; i < 2; ++i) must(producer.try_send(bytes(16, 0x33)), "send");
    must(consumer.try_peek().status, "take");
    Image image = g.take(name);
    consumer.release();
    return image;
}

// A topic of four slots past its first wrap: six messages published, the subscriber four behind
// the end (lossless: two behind; lossy: lapped).
Image topic_wrapped(Generator& g, layout::TopicPolicy policy) {
    const std::string name = g.name();
    must(create_topic(name, 4, 48, policy), "create_topic");
    {
        auto subscriber = must(TopicSubscriber::attach(name), "attach subscriber");
        auto publisher = must(TopicPublisher::attach(name), "attach publisher");
        std::vector<std::byte> buffer(48);
        std::size_t length = 0;
        for (int i = 0; i < 6; ++i) {
            if (policy == layout::TopicPolicy::lossless && i >= 4) must(subscriber.try_receive(buffer, length), "receive");
            must(publisher.try_send(bytes(static_cast<std::size_t>(i) * 8, 0xA7)), "send");
        }
    }
    return g.take(name);
}

// A service of four calls with one in each phase a live exchange leaves: answered (not collected),
// served (taken, not answered), queued, and given up while queued (its id stale in the queue).
// Taken while the client and server are attached: dead ones, once scrubbed.
Image service_in_flight(Generator& g) {
    const std::string name = g.name();
    must(create_service(name, 4, 48, 48), "create_service");
    auto server = must(ServiceServer::attach(name), "attach server");
    auto client = must(ServiceClient::attach(name), "attach client");
    std::uint64_t ids[4];
    for (std::uint64_t& id : ids) must(client.try_send(bytes(24, 0x5A), id), "send");
    must(server.try_receive().status, "receive");
    must(server.reply(ids[0], bytes(40, 0xA5)), "reply");
    must(server.try_receive().status, "receive");
    if (!client.cancel(ids[3])) Generator::fail("cancel");
    return g.take(name);
}

// Script steps (fuzz_input.hpp): one operation of a role's handle, or a write into the live segment.
// `flip`: variant bits (the first four) that this operation uses the other form of.
std::uint8_t operation(Role role, std::uint8_t flip = 0) { return static_cast<std::uint8_t>(static_cast<unsigned>(role) | (flip << 3)); }

std::vector<std::uint8_t> mutation(std::size_t offset, std::uint32_t value) {
    return {kScriptMutation,
            static_cast<std::uint8_t>(offset),
            static_cast<std::uint8_t>(offset >> 8),
            static_cast<std::uint8_t>(offset >> 16),
            static_cast<std::uint8_t>(value),
            static_cast<std::uint8_t>(value >> 8),
            static_cast<std::uint8_t>(value >> 16),
            static_cast<std::uint8_t>(value >> 24)};
}

std::vector<std::uint8_t> script(std::initializer_list<std::vector<std::uint8_t>> steps) {
    std::vector<std::uint8_t> bytes;
    for (const auto& step : steps) bytes.insert(bytes.end(), step.begin(), step.end());
    return bytes;
}

// Damage: one field of a valid image broken, named for what the reader must refuse.
struct Damage {
    const char* seed;
    std::uint8_t roles;
    std::function<void(Image&, Plan&)> apply;
};

void damaged(Generator& g, const char* base, const Image& valid, std::uint8_t roles, const std::vector<Damage>& damages) {
    for (const Damage& damage : damages) {
        Image image = valid;
        Plan plan{damage.roles != 0 ? damage.roles : roles, 0, 0};
        damage.apply(image, plan);
        g.write(std::string(base) + "-" + damage.seed, plan, image);
    }
}

void generate(Generator& g) {
    using layout::SegmentHeader;
    const std::size_t producer_position = layout::kProducerOffset + offsetof(layout::ProducerBlock, position);
    const std::size_t consumer_position = layout::kConsumerOffset + offsetof(layout::ConsumerBlock, position);
    const std::size_t read_position = layout::kConsumerOffset + offsetof(layout::ConsumerBlock, read_position);

    const Image spsc = spsc_with_wrapped_records(g);
    g.write("spsc-records", {kSpscRoles, 0, 0}, spsc);
    g.write("spsc-records-in-place", {kSpscRoles, kVariantInPlace | kVariantPublishLater | kVariantAbort, 0}, spsc);
    g.write("spsc-records-small-buffer", {kSpscRoles, kVariantSmallBuffer, 0}, spsc);
    const auto record_at_consumer = [](const Image& image) {
        const auto capacity = get<std::uint64_t>(image, offsetof(SegmentHeader, capacity));
        const auto consumer = get<std::uint64_t>(image, layout::kConsumerOffset);
        return layout::kDataOffset + (consumer & (capacity - 1));
    };
    damaged(g, "spsc", spsc, kSpscRoles,
            {{"bad-magic", 0, [](Image& i, Plan&) { i[0] ^= 0x01; }},
             {"other-version", 0, [](Image& i, Plan&) { put<std::uint32_t>(i, offsetof(SegmentHeader, layout_version), layout::kLayoutVersion + 1); }},
             {"capacity-not-power-of-two", 0, [](Image& i, Plan&) { put<std::uint64_t>(i, offsetof(SegmentHeader, capacity), 192); }},
             {"truncated-object", 0, [](Image&, Plan& p) { p.size_step = -2; }},
             {"larger-object", 0, [](Image&, Plan& p) { p.size_step = 64; }},
             {"producer-too-far-ahead", 0,
              [=](Image& i, Plan&) { put<std::uint64_t>(i, producer_position, get<std::uint64_t>(i, consumer_position) + 264); }},
             {"producer-misaligned", 0, [=](Image& i, Plan&) { put<std::uint64_t>(i, producer_position, get<std::uint64_t>(i, producer_position) - 3); }},
             {"record-too-long", 0, [=](Image& i, Plan&) { put<std::uint32_t>(i, record_at_consumer(i), 0xFFFFFFF0U); }},
             {"record-type-out-of-range", 0,
              [=](Image& i, Plan&) { put<std::uint32_t>(i, record_at_consumer(i) + 4, layout::kRecordTypePadding + 5); }},
             {"padding-of-wrong-size", 0, [=](Image& i, Plan&) {
                  put<std::uint32_t>(i, record_at_consumer(i), 8);
                  put<std::uint32_t>(i, record_at_consumer(i) + 4, layout::kRecordTypePadding);
              }}});

    const Image pipe = pipe_with_partial_read(g, false);
    g.write("pipe-partial-read", {kPipeRoles, 0, 0}, pipe);
    g.write("pipe-partial-read-small-buffer", {role_bit(Role::pipe_reader), kVariantSmallBuffer, 0}, pipe);
    g.write("pipe-dead-writer", {role_bit(Role::pipe_reader) | role_bit(Role::pipe_writer), 0, 0}, pipe_with_partial_read(g, true));
    damaged(g, "pipe", pipe, kPipeRoles,
            {{"max-message-zero", 0, [](Image& i, Plan&) { put<std::uint32_t>(i, offsetof(SegmentHeader, max_message), 0); }},
             {"read-position-beyond-record", 0,
              [=](Image& i, Plan&) { put<std::uint64_t>(i, read_position, get<std::uint64_t>(i, consumer_position) + 4096); }},
             {"read-position-in-header", 0,
              [=](Image& i, Plan&) { put<std::uint64_t>(i, read_position, get<std::uint64_t>(i, consumer_position) + 3); }},
             {"role-word-out-of-range", 0, [](Image& i, Plan&) {
                  put<std::uint64_t>(i, layout::kControlOffset + offsetof(layout::ControlBlock, producer_role), layout::role_word(3, 200));
              }}});

    // Scripts: the segment rewritten between the operations of live handles. A record that shrinks
    // under a reader that has read part of it once made the pipe copy past the record's end.
    const auto small_read = std::vector<std::uint8_t>{operation(Role::pipe_reader, kVariantSmallBuffer)};
    const auto large_read = std::vector<std::uint8_t>{operation(Role::pipe_reader)};
    g.write("pipe-script-record-shrinks-under-reader", {role_bit(Role::pipe_reader), kVariantScript, 0}, pipe,
            script({small_read, mutation(record_at_consumer(pipe), 4), large_read, large_read}));
    const auto spsc_steps = std::vector<std::uint8_t>{operation(Role::spsc_consumer), operation(Role::spsc_producer)};
    g.write("spsc-script-positions-move", {kSpscRoles, kVariantScript | kVariantInPlace, 0}, spsc,
            script({spsc_steps, mutation(producer_position, static_cast<std::uint32_t>(get<std::uint64_t>(spsc, consumer_position) + 264)),
                    spsc_steps, mutation(record_at_consumer(spsc), 0xFFFFFFF0U), spsc_steps}));

    const Image queue_spsc = spsc_queue(g);
    g.write("queue-spsc", {kQueueRoles, 0, 0}, queue_spsc);
    const auto queue_steps = std::vector<std::uint8_t>{operation(Role::queue_receiver), operation(Role::queue_sender)};
    g.write("queue-spsc-script", {kQueueRoles, kVariantScript | kVariantInPlace, 0}, queue_spsc,
            script({queue_steps, mutation(record_at_consumer(queue_spsc), 0xFFFFU), queue_steps, queue_steps}));

    const Image mpmc = mpmc_wrapped(g);
    g.write("mpmc-wrapped", {kSlotRoles, 0, 0}, mpmc);
    g.write("mpmc-wrapped-in-place", {kSlotRoles, kVariantInPlace | kVariantAbort, 0}, mpmc);
    const Image queue_mpmc = mpmc_queue_with_void_slot(g);
    g.write("queue-mpmc-void-slot", {kQueueRoles, 0, 0}, queue_mpmc);
    g.write("queue-mpmc-void-slot-in-place", {kQueueRoles, kVariantInPlace, 0}, queue_mpmc);
    g.write("mpmc-abandoned-by-producer", {role_bit(Role::slot_consumer), 0, 0}, mpmc_abandoned_by_producer(g));
    g.write("mpmc-abandoned-by-consumer", {role_bit(Role::slot_producer), 0, 0}, mpmc_abandoned_by_consumer(g));
    const auto stride = get<std::uint32_t>(mpmc, offsetof(SegmentHeader, slot_stride));
    const auto head = get<std::uint64_t>(mpmc, consumer_position);
    damaged(g, "mpmc", mpmc, kSlotRoles,
            {{"slot-stride-mismatch", 0, [](Image& i, Plan&) { put<std::uint32_t>(i, offsetof(SegmentHeader, slot_stride), 128); }},
             {"slot-length-too-long", 0, [=](Image& i, Plan&) {
                  put<std::uint32_t>(i, slot_offset(head & 3, stride) + offsetof(layout::SlotHeader, length), 49);
              }},
             {"consumer-past-producer", 0, [=](Image& i, Plan&) { put<std::uint64_t>(i, consumer_position, head + 9); }},
             // A sequence ahead of the ticket that nobody moved on: once a livelock in try_claim and try_peek.
             {"sequence-ahead-of-producers", role_bit(Role::slot_producer), [=](Image& i, Plan&) {
                  const auto tail = get<std::uint64_t>(i, producer_position);
                  put<std::uint64_t>(i, slot_offset(tail & 3, stride) + offsetof(layout::SlotHeader, sequence), detail::slot_free_for(tail) + 2);
              }},
             {"sequence-ahead-of-consumers", role_bit(Role::slot_consumer), [=](Image& i, Plan&) {
                  put<std::uint64_t>(i, slot_offset(head & 3, stride) + offsetof(layout::SlotHeader, sequence), detail::slot_full_for(head) + 2);
              }},
             {"registry-garbage", 0xFF, [](Image& i, Plan&) {
                  for (std::uint32_t e = 0; e < layout::kMaxEndpoints; e += 3) {
                      put<std::uint64_t>(i, entry_offset(e), layout::endpoint_state(e, layout::EndpointStatus(e % 5)));
                      put<std::uint32_t>(i, entry_offset(e) + offsetof(layout::EndpointEntry, role), e % 4);
                      put<std::uint64_t>(i, entry_offset(e) + offsetof(layout::EndpointEntry, claim), e + 1);
                  }
              }}});
    const Image topic = topic_wrapped(g, layout::TopicPolicy::lossless);
    g.write("topic-lossless", {kSlotRoles, 0, 0}, topic);
    g.write("topic-lossless-in-place", {kSlotRoles, kVariantInPlace | kVariantAbort, 0}, topic);
    const Image lossy = topic_wrapped(g, layout::TopicPolicy::lossy);
    g.write("topic-lossy", {kSlotRoles, 0, 0}, lossy);
    g.write("topic-lossy-small-buffer", {kSlotRoles, kVariantSmallBuffer, 0}, lossy);
    g.write("topic-lossless-from-oldest", {kSlotRoles, kVariantPublishLater, 0}, topic);
    const std::size_t limit = layout::kProducerOffset + offsetof(layout::ProducerBlock, limit);
    const std::size_t gating = layout::kConsumerOffset + offsetof(layout::ConsumerBlock, gating);
    const auto topic_stride = get<std::uint32_t>(topic, offsetof(SegmentHeader, slot_stride));
    const auto next_slot = [=](const Image& i) {
        const auto slots = get<std::uint64_t>(i, offsetof(SegmentHeader, capacity));
        return slot_offset(get<std::uint64_t>(i, producer_position) & (slots - 1), topic_stride);
    };
    damaged(g, "topic", topic, kSlotRoles,
            {{"policy-out-of-range", 0, [](Image& i, Plan&) { put<std::uint32_t>(i, offsetof(SegmentHeader, topic_policy), 2); }},
             {"capacity-above-slots", 0, [](Image& i, Plan&) { put<std::uint64_t>(i, offsetof(SegmentHeader, max_messages), 5); }},
             {"limit-past-position", 0, [=](Image& i, Plan&) { put<std::uint64_t>(i, limit, get<std::uint64_t>(i, producer_position) + 100); }},
             {"gating-garbage", 0, [=](Image& i, Plan&) { put<std::uint64_t>(i, gating, ~std::uint64_t{0}); }},
             {"position-far-ahead", 0, [=](Image& i, Plan&) { put<std::uint64_t>(i, producer_position, std::uint64_t{1} << 40); }},
             {"stamp-ahead-of-subscriber", role_bit(Role::slot_consumer), [=](Image& i, Plan&) {
                  const auto tail = get<std::uint64_t>(i, producer_position);
                  put<std::uint64_t>(i, next_slot(i) + offsetof(layout::SlotHeader, sequence), layout::topic_stamp_complete(tail + 4));
              }},
             {"length-too-long", role_bit(Role::slot_consumer), [=](Image& i, Plan&) {
                  const auto tail = get<std::uint64_t>(i, producer_position);
                  put<std::uint64_t>(i, next_slot(i) + offsetof(layout::SlotHeader, sequence), layout::topic_stamp_complete(tail));
                  put<std::uint32_t>(i, next_slot(i) + offsetof(layout::SlotHeader, length), 49);
              }}});
    const auto topic_steps = std::vector<std::uint8_t>{operation(Role::slot_consumer), operation(Role::slot_producer)};
    g.write("topic-lossy-script-stamps-move", {kSlotRoles, kVariantScript | kVariantInPlace, 0}, lossy,
            script({topic_steps, mutation(next_slot(lossy) + offsetof(layout::SlotHeader, sequence), 0xFFFFFFF1U), topic_steps,
                    mutation(producer_position, 3), topic_steps, topic_steps}));

    const Image service = service_in_flight(g);
    g.write("service-in-flight", {kSlotRoles, 0, 0}, service);
    g.write("service-in-flight-in-place", {kSlotRoles, kVariantInPlace, 0}, service);
    g.write("service-in-flight-give-up", {kSlotRoles, kVariantAbort | kVariantSmallBuffer, 0}, service);
    const auto service_slots = get<std::uint64_t>(service, offsetof(SegmentHeader, capacity));
    const auto service_stride = get<std::uint32_t>(service, offsetof(SegmentHeader, slot_stride));
    const auto call_stride = get<std::uint32_t>(service, offsetof(SegmentHeader, call_stride));
    const auto call = [=](std::uint64_t index) { return slot_offset(service_slots, service_stride) + index * call_stride; };
    const std::size_t response_length = layout::response_header_offset(get<std::uint32_t>(service, offsetof(SegmentHeader, max_message))) +
                                        offsetof(layout::ResponseHeader, length);
    const auto queued_id = [=](const Image& i) {
        return slot_offset(get<std::uint64_t>(i, consumer_position) & (service_slots - 1), service_stride) + sizeof(layout::SlotHeader);
    };
    const std::size_t attached = layout::kControlOffset + offsetof(layout::ControlBlock, servers);
    damaged(g, "service", service, kSlotRoles,
            {{"call-stride-wrong", 0, [](Image& i, Plan&) { put<std::uint32_t>(i, offsetof(SegmentHeader, call_stride), 64); }},
             {"calls-above-queue", 0, [](Image& i, Plan&) { put<std::uint64_t>(i, offsetof(SegmentHeader, max_messages), 5); }},
             {"response-size-zero", 0, [](Image& i, Plan&) { put<std::uint32_t>(i, offsetof(SegmentHeader, max_response), 0); }},
             {"queued-id-out-of-range", role_bit(Role::slot_consumer),
              [=](Image& i, Plan&) { put<std::uint64_t>(i, queued_id(i), layout::request_id(1, 1000)); }},
             {"queued-id-of-answered-call", role_bit(Role::slot_consumer),
              [=](Image& i, Plan&) { put<std::uint64_t>(i, queued_id(i), layout::request_id(1, 0)); }},
             {"request-length-too-long", role_bit(Role::slot_consumer),
              [=](Image& i, Plan&) { put<std::uint32_t>(i, call(2) + offsetof(layout::CallHeader, request_length), 49); }},
             {"response-length-too-long", 0,
              [=](Image& i, Plan&) { put<std::uint32_t>(i, call(0) + response_length, 49); }},
             {"phases-garbage", 0, [=](Image& i, Plan&) {
                  for (std::uint64_t c = 0; c < 4; ++c) put<std::uint64_t>(i, call(c), ~std::uint64_t{0} - c);
              }},
             {"servers-of-other-entries", 0, [=](Image& i, Plan&) {
                  put<std::uint64_t>(i, call(1), layout::call_state(1, layout::CallPhase::serving, 1, 200));
                  put<std::uint64_t>(i, attached, ~std::uint64_t{0});
              }}});
    const auto service_steps = std::vector<std::uint8_t>{operation(Role::slot_producer), operation(Role::slot_consumer)};
    g.write("service-script-calls-move", {kSlotRoles, kVariantScript | kVariantInPlace, 0}, service,
            script({service_steps, mutation(call(0), 0xFFFFFF03U), service_steps, mutation(queued_id(service), 3), service_steps,
                    mutation(call(2) + offsetof(layout::CallHeader, request_length), 1000), service_steps, service_steps}));

    const auto mpmc_steps = std::vector<std::uint8_t>{operation(Role::slot_consumer), operation(Role::slot_producer)};
    const auto head_slot = slot_offset(head & 3, stride);
    g.write("mpmc-script-slots-move", {kSlotRoles, kVariantScript | kVariantInPlace, 0}, mpmc,
            script({mpmc_steps, mutation(head_slot + offsetof(layout::SlotHeader, length), 49), mpmc_steps,
                    mutation(head_slot + offsetof(layout::SlotHeader, sequence), static_cast<std::uint32_t>(detail::slot_full_for(head) + 4)), mpmc_steps}));
}

}  // namespace
}  // namespace shmring::fuzz

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: make_corpus <directory>\n");
        return 2;
    }
    shmring::fuzz::Generator generator(argv[1]);
    shmring::fuzz::generate(generator);
    std::printf("%d seeds written to %s\n", generator.written(), argv[1]);
    return 0;
}
