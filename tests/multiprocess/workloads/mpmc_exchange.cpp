#include "workloads/mpmc_exchange.hpp"

#include <cstring>
#include <string>
#include <vector>

#include "harness/delivery_log.hpp"
#include "harness/message_stream.hpp"
#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "harness/role.hpp"
#include "shmring/mpmc_ring.hpp"
#include "support/test_ring.hpp"
#include "workloads/parking.hpp"
#include "workloads/endpoint_options.hpp"

namespace shmring::multiprocess {

namespace {

constexpr std::uint32_t kSlotSize = 48;  // with its 16-byte header a slot fills one 64-byte line
struct Tag {
    std::uint32_t producer;
    std::uint32_t sequence;
};
constexpr std::size_t kTagSize = sizeof(Tag);
constexpr std::size_t kMaxBody = kSlotSize - kTagSize;
// The producer number of the parent's stop messages, one per consumer.
constexpr std::uint32_t kStopProducer = 0xFFFFFFFFU;

std::uint64_t log_word(Tag tag) { return (std::uint64_t{tag.producer} << 32) | tag.sequence; }
Tag from_log_word(std::uint64_t word) { return {static_cast<std::uint32_t>(word >> 32), static_cast<std::uint32_t>(word)}; }

std::string describe_tag(Tag tag) {
    return "(producer " + std::to_string(tag.producer) + ", message " + std::to_string(tag.sequence) + ")";
}

// The part every role reads the same way.
struct CommonSettings {
    std::string ring;
    std::uint32_t producers;
    std::uint64_t messages_per_producer;
    std::uint64_t seed;
    WaitStrategy wait;
    std::chrono::milliseconds probe_interval;
    Transfer transfer;

    static CommonSettings from_args(const RoleArgs& args) {
        return {args.text("ring"),
                static_cast<std::uint32_t>(args.number("producers")),
                args.number("messages"),
                args.number("seed"),
                args.wait_strategy("wait"),
                std::chrono::milliseconds(args.number("probe_interval_ms")),
                parse_transfer(args)};
    }

    MessageStream stream(std::uint32_t producer) const { return MessageStream(seed, producer, kMaxBody); }
};

int run_producer(const RoleArgs& args, Report& report) {
    const CommonSettings settings = CommonSettings::from_args(args);
    const auto id = static_cast<std::uint32_t>(args.number("producer"));
    auto producer = MpmcProducer::attach(settings.ring, attach_options(settings.wait));
    if (!producer) return report.fail(producer.error().message());
    set_probe_interval(producer->endpoint(), settings.probe_interval);
    const MessageStream stream = settings.stream(id);
    std::byte buffer[kSlotSize];
    for (std::uint64_t sequence = 0; sequence < settings.messages_per_producer; ++sequence) {
        const Tag tag{id, static_cast<std::uint32_t>(sequence)};
        const std::size_t length = kTagSize + stream.size_of(sequence);
        const auto write_message = [&](std::span<std::byte> out) {
            std::memcpy(out.data(), &tag, kTagSize);
            stream.fill(sequence, out.subspan(kTagSize, length - kTagSize));
        };
        if (settings.transfer == Transfer::copy) {
            write_message(buffer);
            if (const Status status = producer->send(std::span(buffer, length)); status != Status::ok)
                return report.fail("send " + describe_tag(tag) + ": " + describe(status));
        } else {
            const Loan loan = producer->claim();
            if (loan.status != Status::ok) return report.fail("loan for " + describe_tag(tag) + ": " + describe(loan.status));
            write_message(loan.data);
            producer->commit(length);
        }
    }
    report.put("messages", settings.messages_per_producer);
    return 0;
}

int run_consumer(const RoleArgs& args, Report& report) {
    const CommonSettings settings = CommonSettings::from_args(args);
    const auto index = static_cast<std::uint32_t>(args.number("consumer"));
    auto log = DeliveryLog::attach(kFirstPassedFd, static_cast<std::uint32_t>(args.number("consumers")), args.number("log_capacity"));
    auto consumer = MpmcConsumer::attach(settings.ring, attach_options(settings.wait));
    if (!consumer) return report.fail(consumer.error().message());
    set_probe_interval(consumer->endpoint(), settings.probe_interval);
    std::vector<MessageStream> streams;
    for (std::uint32_t p = 0; p < settings.producers; ++p) streams.push_back(settings.stream(p));
    std::byte buffer[kSlotSize];
    std::uint64_t received = 0;
    for (;;) {
        View message{Status::again, {}};
        if (settings.transfer == Transfer::copy) {
            std::size_t length = 0;
            message.status = consumer->receive(buffer, length);
            message.data = std::span(buffer, length);
        } else {
            message = consumer->peek();
        }
        const auto fail = [&](const std::string& what) {
            return report.fail("message " + std::to_string(received) + " taken: " + what);
        };
        if (message.status != Status::ok) return fail(describe(message.status));
        if (message.data.size() < kTagSize) return fail(std::to_string(message.data.size()) + " bytes, no tag");
        Tag tag;
        std::memcpy(&tag, message.data.data(), kTagSize);
        const auto body = message.data.subspan(kTagSize);
        // Judge the bytes before handing the slot back: after release() they belong to a producer.
        const bool stop = tag.producer == kStopProducer && body.empty();
        const bool known = tag.producer < settings.producers && tag.sequence < settings.messages_per_producer;
        const bool intact = known && streams[tag.producer].matches(tag.sequence, body);
        if (settings.transfer == Transfer::zero_copy) consumer->release();
        if (stop) break;
        if (!known) return fail("no producer sent " + describe_tag(tag));
        if (!intact) return fail("the body of " + describe_tag(tag) + " is corrupt (" + std::to_string(body.size()) + " bytes)");
        if (!log.append(index, log_word(tag))) return fail("more messages than were sent");
        ++received;
    }
    report.put("messages", received);
    return 0;
}

const RoleRegistration producer_role("mpmc-producer", &run_producer);
const RoleRegistration consumer_role("mpmc-consumer", &run_consumer);

// The checks of the logs: every message exactly once, each producer's in order at each consumer.
::testing::AssertionResult check_deliveries(const DeliveryLog& log, const MpmcExchange& x) {
    const std::uint64_t n = x.messages_per_producer;
    std::vector<std::uint32_t> deliveries(x.producers * n, 0);
    std::vector<std::string> problems;
    const auto note = [&](std::string problem) {
        if (problems.size() < 10) problems.push_back(std::move(problem));
    };
    for (std::uint32_t c = 0; c < x.consumers; ++c) {
        std::vector<std::int64_t> last(x.producers, -1);
        for (const std::uint64_t word : log.entries(c)) {
            const Tag tag = from_log_word(word);
            if (tag.producer >= x.producers || tag.sequence >= n) {
                note("consumer " + std::to_string(c) + " logged " + describe_tag(tag) + ", which nobody sent");
                continue;
            }
            ++deliveries[tag.producer * n + tag.sequence];
            if (tag.sequence <= last[tag.producer])
                note("consumer " + std::to_string(c) + " took " + describe_tag(tag) + " after message " + std::to_string(last[tag.producer]));
            last[tag.producer] = tag.sequence;
        }
    }
    std::uint64_t lost = 0;
    std::uint64_t duplicated = 0;
    for (std::uint64_t i = 0; i < deliveries.size(); ++i) {
        const Tag tag{static_cast<std::uint32_t>(i / n), static_cast<std::uint32_t>(i % n)};
        if (deliveries[i] == 0 && lost++ == 0) note(describe_tag(tag) + " never arrived");
        if (deliveries[i] > 1 && duplicated++ == 0)
            note(describe_tag(tag) + " arrived " + std::to_string(deliveries[i]) + " times");
    }
    if (problems.empty()) return ::testing::AssertionSuccess();
    auto failure = ::testing::AssertionFailure() << lost << " messages lost, " << duplicated << " delivered more than once\n";
    for (const std::string& problem : problems) failure << problem << "\n";
    return failure;
}

}  // namespace

::testing::AssertionResult exchange_across_processes(const MpmcExchange& exchange) {
    if (exchange.messages_per_producer > 0xFFFFFFFFU || exchange.producers >= kStopProducer)
        return ::testing::AssertionFailure() << "tags carry 32-bit producer and message numbers";
    const testing::RingName name("mp.mpmc");
    if (auto created = create_mpmc_ring(name, exchange.slots, kSlotSize); !created)
        return ::testing::AssertionFailure() << created.error().message();
    const std::uint64_t total = exchange.producers * exchange.messages_per_producer;
    DeliveryLog log = DeliveryLog::create(exchange.consumers, total);

    const std::vector<std::string> common{"ring=" + name.str(),
                                          "producers=" + std::to_string(exchange.producers),
                                          "consumers=" + std::to_string(exchange.consumers),
                                          "messages=" + std::to_string(exchange.messages_per_producer),
                                          "seed=" + std::to_string(exchange.seed),
                                          std::string("wait=") + wait_strategy_name(exchange.wait),
                                          "probe_interval_ms=" + std::to_string(exchange.probe_interval.count()),
                                          "log_capacity=" + std::to_string(total)};
    const auto args_for = [&](const char* key, std::uint32_t index) {
        std::vector<std::string> args = common;
        args.push_back(std::string(key) + "=" + std::to_string(index));
        args.push_back(std::string("transfer=") + transfer_name(index % 2 == 0 ? Transfer::copy : Transfer::zero_copy));
        return args;
    };

    const Deadline deadline = deadline_after(exchange.time_limit);
    ProcessGroup group(deadline);
    std::vector<ProcessGroup::Child> consumers;
    std::vector<ProcessGroup::Child> producers;
    for (std::uint32_t c = 0; c < exchange.consumers; ++c)
        consumers.push_back(group.start_role("mpmc-consumer", args_for("consumer", c), {log.fd()}));
    for (std::uint32_t p = 0; p < exchange.producers; ++p)
        producers.push_back(group.start_role("mpmc-producer", args_for("producer", p)));
    if (!group.wait_for(producers)) return ::testing::AssertionFailure() << group.describe() << describe_ring(name);

    auto stopper = MpmcProducer::attach(name, attach_options(exchange.wait));
    if (!stopper) return ::testing::AssertionFailure() << "attaching to send the stop messages: " << stopper.error().message();
    set_probe_interval(stopper->endpoint(), exchange.probe_interval);
    const Tag stop{kStopProducer, 0};
    for (std::uint32_t c = 0; c < exchange.consumers; ++c)
        if (const Status status = stopper->send(std::as_bytes(std::span(&stop, 1)), deadline); status != Status::ok)
            return ::testing::AssertionFailure() << "stop message " << c << ": " << describe(status) << "\n"
                                                 << group.describe() << describe_ring(name);
    if (!group.wait_for(consumers)) return ::testing::AssertionFailure() << group.describe() << describe_ring(name);

    for (const auto p : producers)
        if (group.child(p).number("messages") != exchange.messages_per_producer)
            return ::testing::AssertionFailure() << "a producer did not send everything:\n" << group.describe();
    for (std::uint32_t c = 0; c < exchange.consumers; ++c)
        if (group.child(consumers[c]).number("messages") != log.entries(c).size())
            return ::testing::AssertionFailure() << "consumer " << c << "'s report and log disagree:\n" << group.describe();
    if (auto verdict = check_deliveries(log, exchange); !verdict) return verdict;

    auto leftover = MpmcConsumer::attach(name);
    if (!leftover) return ::testing::AssertionFailure() << "attaching after the exchange: " << leftover.error().message();
    if (const View extra = leftover->try_peek(); extra.status != Status::again)
        return ::testing::AssertionFailure() << "the ring is not empty after the stop messages: " << describe(extra.status)
                                             << "\n" << describe_ring(name);
    return parked_enough(name, exchange.wait, total);
}

}  // namespace shmring::multiprocess
