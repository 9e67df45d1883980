#include "workloads/spsc_exchange.hpp"

#include <string>
#include <thread>
#include <vector>

#include "harness/message_stream.hpp"
#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "harness/role.hpp"
#include "shmring/detail/publish_fence.hpp"
#include "shmring/spsc_ring.hpp"
#include "support/test_ring.hpp"
#include "workloads/parking.hpp"

namespace shmring::multiprocess {

namespace {

// View types below layout::kRecordTypePadding are the sender's: sequence numbers must fit.
constexpr std::uint64_t kMaxMessages = layout::kRecordTypePadding;

struct SpscRoleSettings {
    std::string ring;
    SpscExchange exchange;

    std::vector<std::string> to_args() const {
        return {"ring=" + ring,
                "messages=" + std::to_string(exchange.messages),
                "max_payload=" + std::to_string(exchange.max_payload),
                "seed=" + std::to_string(exchange.seed),
                std::string("wait=") + wait_strategy_name(exchange.wait),
                std::string("transfer=") + transfer_name(exchange.transfer),
                "batch=" + std::to_string(exchange.batch),
                "burst=" + std::to_string(exchange.burst),
                "pause_us=" + std::to_string(exchange.pause.count()),
                "probe_interval_ms=" + std::to_string(exchange.probe_interval.count())};
    }

    static SpscRoleSettings from_args(const RoleArgs& args) {
        SpscRoleSettings settings;
        settings.ring = args.text("ring");
        settings.exchange.messages = args.number("messages");
        settings.exchange.max_payload = args.number("max_payload");
        settings.exchange.seed = args.number("seed");
        settings.exchange.wait = args.wait_strategy("wait");
        settings.exchange.transfer = parse_transfer(args);
        settings.exchange.batch = args.number("batch");
        settings.exchange.burst = args.number("burst");
        settings.exchange.pause = std::chrono::microseconds(args.number("pause_us"));
        settings.exchange.probe_interval = std::chrono::milliseconds(args.number("probe_interval_ms"));
        if (settings.exchange.batch == 0) throw BadArgument("batch must be at least 1");
        return settings;
    }
};

std::string at_message(std::uint64_t sequence) { return "message " + std::to_string(sequence) + ": "; }

int run_producer(const RoleArgs& args, Report& report) {
    const SpscRoleSettings settings = SpscRoleSettings::from_args(args);
    const SpscExchange& x = settings.exchange;
    auto producer = SpscProducer::attach(settings.ring, attach_options(x.wait));
    if (!producer) return report.fail(producer.error().message());
    set_probe_interval(producer->endpoint(), x.probe_interval);
    const MessageStream stream(x.seed, 0, x.max_payload);
    Digest digest;
    std::vector<std::byte> buffer(x.max_payload);
    std::uint64_t unpublished = 0;
    // Whether this producer publishes light on the data event now (detail/publish_fence.hpp).
    // Relaxed: only this producer sets or clears its bit, so it reads its own last write.
    const auto light = [&] {
        const std::uint64_t bit = std::uint64_t{1} << producer->endpoint().index();
        return (producer->ring().data_event().light_publishers.load(std::memory_order_relaxed) & bit) != 0;
    };
    std::uint64_t light_pauses = 0;
    std::uint64_t full_resumes = 0;
    for (std::uint64_t sequence = 0; sequence < x.messages; ++sequence) {
        const std::size_t size = stream.size_of(sequence);
        const auto type = static_cast<std::uint32_t>(sequence);
        if (x.transfer == Transfer::copy) {
            const std::span<std::byte> message(buffer.data(), size);
            stream.fill(sequence, message);
            digest.add(sequence, message);
            const bool resuming = x.burst != 0 && sequence != 0 && sequence % x.burst == 0;
            const bool light_before = light();
            if (const Status status = producer->send(message, kNoDeadline, type); status != Status::ok)
                return report.fail(at_message(sequence) + "send: " + describe(status));
            if (resuming && light_before && !light()) ++full_resumes;
            if (x.burst != 0 && (sequence + 1) % x.burst == 0) {
                if (light()) ++light_pauses;
                std::this_thread::sleep_for(x.pause);
            }
            continue;
        }
        Loan claim = producer->try_claim(size);
        if (claim.status == Status::again) {
            // The consumer may be waiting for the very records we hold back: publish before waiting.
            producer->flush();
            claim = producer->claim(size);
        }
        if (claim.status != Status::ok) return report.fail(at_message(sequence) + "claim: " + describe(claim.status));
        stream.fill(sequence, claim.data);
        digest.add(sequence, claim.data);
        producer->commit(claim.data.size(), type, Flush::later);
        if (++unpublished == x.batch) {
            producer->flush();
            unpublished = 0;
        }
    }
    producer->flush();
    report.put("messages", x.messages);
    report.put("digest", digest.value());
    report.put("light_pauses", light_pauses);
    report.put("full_resumes", full_resumes);
    report.put("light_allowed", detail::light_publisher_fence() ? 1 : 0);
    return 0;
}

int run_consumer(const RoleArgs& args, Report& report) {
    const SpscRoleSettings settings = SpscRoleSettings::from_args(args);
    const SpscExchange& x = settings.exchange;
    auto consumer = SpscConsumer::attach(settings.ring, attach_options(x.wait));
    if (!consumer) return report.fail(consumer.error().message());
    set_probe_interval(consumer->endpoint(), x.probe_interval);
    const MessageStream stream(x.seed, 0, x.max_payload);
    Digest digest;
    // As large as the ring allows, not as the stream promises: an oversized record is a finding.
    std::vector<std::byte> buffer(consumer->ring().geometry().max_message);
    std::uint64_t unreleased = 0;
    for (std::uint64_t sequence = 0; sequence < x.messages; ++sequence) {
        View record{Status::again, {}};
        if (x.transfer == Transfer::copy) {
            std::size_t length = 0;
            record.status = consumer->receive(buffer, length, kNoDeadline, &record.type);
            record.data = std::span(buffer.data(), length);
        } else {
            record = consumer->try_peek();
            if (record.status == Status::again) {
                // The producer may be waiting for the space we hold back: give it back before waiting.
                consumer->flush();
                record = consumer->peek();
            }
        }
        if (record.status != Status::ok) return report.fail(at_message(sequence) + "receive: " + describe(record.status));
        if (record.type != static_cast<std::uint32_t>(sequence))
            return report.fail(at_message(sequence) + "arrived numbered " + std::to_string(record.type));
        if (!stream.matches(sequence, record.data))
            return report.fail(at_message(sequence) + std::to_string(record.data.size()) + " bytes differ from the " +
                               std::to_string(stream.size_of(sequence)) + " sent");
        digest.add(sequence, record.data);
        if (x.transfer == Transfer::zero_copy) {
            consumer->release(Flush::later);
            if (++unreleased == x.batch) {
                consumer->flush();
                unreleased = 0;
            }
        }
    }
    consumer->flush();
    report.put("messages", x.messages);
    report.put("digest", digest.value());
    return 0;
}

const RoleRegistration producer_role("spsc-producer", &run_producer);
const RoleRegistration consumer_role("spsc-consumer", &run_consumer);

}  // namespace

::testing::AssertionResult exchange_across_processes(const SpscExchange& exchange) {
    if (exchange.messages > kMaxMessages) return ::testing::AssertionFailure() << "sequence numbers must fit a record type";
    const testing::RingName name("mp.spsc");
    if (auto created = create_spsc_ring(name, exchange.capacity); !created)
        return ::testing::AssertionFailure() << created.error().message();
    const std::vector<std::string> args = SpscRoleSettings{name.str(), exchange}.to_args();

    ProcessGroup group(deadline_after(exchange.time_limit));
    const auto consumer = group.start_role("spsc-consumer", args);
    const auto producer = group.start_role("spsc-producer", args);
    if (!group.wait_for_all()) return ::testing::AssertionFailure() << group.describe() << describe_ring(name);

    const ChildRecord& sent = group.child(producer);
    const ChildRecord& received = group.child(consumer);
    if (sent.number("messages") != exchange.messages || received.number("messages") != exchange.messages ||
        !sent.number("digest") || sent.number("digest") != received.number("digest"))
        return ::testing::AssertionFailure() << "the two sides disagree on what was exchanged:\n" << group.describe();
    if (exchange.burst != 0 && sent.number("light_allowed") == 1 &&
        (sent.number("light_pauses").value_or(0) == 0 || sent.number("full_resumes").value_or(0) == 0))
        return ::testing::AssertionFailure() << "the producer's publish fence did not go light in a burst and full after a pause:\n"
                                             << group.describe();

    auto leftover = SpscConsumer::attach(name);
    if (!leftover) return ::testing::AssertionFailure() << "attaching after the exchange: " << leftover.error().message();
    if (const View extra = leftover->try_peek(); extra.status != Status::again)
        return ::testing::AssertionFailure() << "the ring is not empty after the last message: " << describe(extra.status)
                                             << "\n" << describe_ring(name);
    return parked_enough(name, exchange.wait, exchange.messages);
}

}  // namespace shmring::multiprocess
