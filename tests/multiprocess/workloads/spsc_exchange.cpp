#include "workloads/spsc_exchange.hpp"

#include <string>
#include <vector>

#include "harness/message_stream.hpp"
#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "harness/role.hpp"
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
    for (std::uint64_t sequence = 0; sequence < x.messages; ++sequence) {
        const std::size_t size = stream.size_of(sequence);
        const auto type = static_cast<std::uint32_t>(sequence);
        if (x.transfer == Transfer::copy) {
            const std::span<std::byte> message(buffer.data(), size);
            stream.fill(sequence, message);
            digest.add(sequence, message);
            if (const Status status = producer->send(message, kNoDeadline, type); status != Status::ok)
                return report.fail(at_message(sequence) + "send: " + describe(status));
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

    auto leftover = SpscConsumer::attach(name);
    if (!leftover) return ::testing::AssertionFailure() << "attaching after the exchange: " << leftover.error().message();
    if (const View extra = leftover->try_peek(); extra.status != Status::again)
        return ::testing::AssertionFailure() << "the ring is not empty after the last message: " << describe(extra.status)
                                             << "\n" << describe_ring(name);
    return parked_enough(name, exchange.wait, exchange.messages);
}

}  // namespace shmring::multiprocess
