#include "workloads/topic_fanout.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness/message_stream.hpp"
#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "harness/role.hpp"
#include "shmring/topic.hpp"
#include "support/test_ring.hpp"
#include "workloads/endpoint_options.hpp"

namespace shmring::multiprocess {

namespace {

constexpr std::uint32_t kMessageSize = 64;
constexpr std::size_t kNumberSize = sizeof(std::uint64_t);
constexpr std::size_t kMaxBody = kMessageSize - kNumberSize;

std::uint64_t steady_ns() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

struct Settings {
    std::string topic;
    std::uint64_t messages;
    std::uint64_t seed;
    WaitStrategy wait;

    static Settings from_args(const RoleArgs& args) {
        return {args.text("topic"), args.number("messages"), args.number("seed"), args.wait_strategy("wait")};
    }
    // One stream: every subscriber checks against what the one publisher sent.
    MessageStream stream() const { return MessageStream(seed, 0, kMaxBody); }
};

// A publish that took longer than this was blocked on a stalled subscriber.
constexpr std::uint64_t kBlockedNs = 50'000'000;

// Subscribers that hold a lossless publisher back: they have joined (the gating bit is set after
// the join read the publisher's position). Acquire, as the publisher's own look at the mask.
int gating_subscribers(const RingView& ring) { return std::popcount(ring.consumer().gating.load(std::memory_order_acquire)); }

// Publishes 1..N, every other message through a loan; reports when each blocked publish ended
// (steady clock, the same in every process): when the publisher resumed. With `pause_after`, it
// stops after that many messages, says so, and goes on once `then_subscribers` have joined.
int run_publisher(const RoleArgs& args, Report& report) {
    const Settings settings = Settings::from_args(args);
    const std::uint64_t pause_after = args.number("pause_after");
    const auto then_subscribers = static_cast<int>(args.number("then_subscribers"));
    auto publisher = TopicPublisher::attach(settings.topic, attach_options(settings.wait));
    if (!publisher) return report.fail(publisher.error().message());
    const MessageStream stream = settings.stream();
    std::byte buffer[kMessageSize];
    std::string resumed;  // the end times of blocked publishes, comma-separated
    for (std::uint64_t n = 1; n <= settings.messages; ++n) {
        if (pause_after != 0 && n == pause_after + 1) {
            report.put("paused", pause_after);
            const Deadline give_up = Clock::now() + std::chrono::seconds(30);
            while (gating_subscribers(publisher->ring()) < then_subscribers)
                if (Clock::now() > give_up) return report.fail("the late subscribers never came");
        }
        const std::size_t length = kNumberSize + stream.size_of(n);
        const auto write_message = [&](std::span<std::byte> out) {
            std::memcpy(out.data(), &n, kNumberSize);
            stream.fill(n, out.subspan(kNumberSize, length - kNumberSize));
        };
        const std::uint64_t start = steady_ns();
        if (n % 2 == 0) {
            write_message(buffer);
            if (const Status status = publisher->send(std::span(buffer, length)); status != Status::ok)
                return report.fail("publish " + std::to_string(n) + ": " + describe(status));
        } else {
            const Loan loan = publisher->claim(length);
            if (loan.status != Status::ok) return report.fail("loan for " + std::to_string(n) + ": " + describe(loan.status));
            write_message(loan.data);
            publisher->commit(length);
        }
        const std::uint64_t end = steady_ns();
        if (end - start > kBlockedNs && resumed.size() < 1000) resumed += (resumed.empty() ? "" : ",") + std::to_string(end);
    }
    report.put("messages", settings.messages);
    report.put("resumed", resumed);
    return 0;
}

// Reads until message N; every message checked. Lossless: exactly 1..N in order (a late joiner:
// from its first message on). Lossy: numbers increase, and received + lost = N. A victim stops
// after `stall_after` messages and waits to be killed.
int run_subscriber(const RoleArgs& args, Report& report) {
    const Settings settings = Settings::from_args(args);
    const bool lossless = args.text("policy") == "lossless";
    const std::uint64_t stall_after = args.number("stall_after");
    const bool slow = args.number("slow") != 0;
    const std::string& start = args.text("start");  // "first", or a late joiner's "next" or "oldest"
    const bool late = start != "first";
    auto subscriber = TopicSubscriber::attach(settings.topic, attach_options(settings.wait),
                                              start == "oldest" ? TopicStart::oldest : TopicStart::next);
    if (!subscriber) return report.fail(subscriber.error().message());
    report.put("ready", std::uint64_t{1});
    const MessageStream stream = settings.stream();
    std::byte buffer[kMessageSize];
    std::uint64_t received = 0, last = 0, checksum = 0;
    while (last < settings.messages) {
        if (stall_after != 0 && received == stall_after) {
            report.put("stalled", received);
            pause_until_killed();
        }
        View message{Status::again, {}};
        if (received % 2 == 0) {
            std::size_t length = 0;
            message.status = subscriber->receive(buffer, length, &message.sequence);
            message.data = std::span(buffer, length);
        } else {
            message = subscriber->peek();
        }
        const auto fail = [&](const std::string& what) { return report.fail("after message " + std::to_string(last) + ": " + what); };
        if (message.status != Status::ok) return fail(describe(message.status));
        std::uint64_t number = 0;
        const bool sized = message.data.size() >= kNumberSize;
        if (sized) std::memcpy(&number, message.data.data(), kNumberSize);
        const bool intact = sized && number == message.sequence && stream.matches(number, message.data.subspan(kNumberSize));
        if (received % 2 == 1 && subscriber->release() != Status::ok) continue;  // overwritten while read: lost, counted
        if (!intact) return fail("message " + std::to_string(message.sequence) + " is corrupt (" + std::to_string(message.data.size()) + " bytes)");
        if (late && received == 0) {
            report.put("first", number);
            last = number - 1;
        }
        if (lossless ? number != last + 1 : number <= last) return fail("message " + std::to_string(number) + " out of order");
        last = number;
        checksum += number;
        ++received;
        if (slow && received % 128 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    report.put("received", received);
    report.put("lost", subscriber->lost());
    report.put("checksum", checksum);
    return 0;
}

const RoleRegistration publisher_role("topic-publisher", &run_publisher);

const RoleRegistration subscriber_role("topic-subscriber", &run_subscriber);

}  // namespace

::testing::AssertionResult fan_out_across_processes(const TopicFanout& fanout) {
    const testing::RingName name("mp.topic");
    if (auto created = create_topic(name, fanout.capacity, kMessageSize, fanout.policy); !created)
        return ::testing::AssertionFailure() << created.error().message();
    const bool lossless = fanout.policy == layout::TopicPolicy::lossless;
    const std::vector<std::string> common{"topic=" + name.str(), "messages=" + std::to_string(fanout.messages),
                                          "seed=" + std::to_string(fanout.seed), std::string("wait=") + wait_strategy_name(fanout.wait),
                                          std::string("policy=") + (lossless ? "lossless" : "lossy")};
    const auto subscriber_args = [&](std::uint64_t stall_after, const char* start) {
        std::vector<std::string> args = common;
        args.push_back("stall_after=" + std::to_string(stall_after));
        args.push_back(std::string("slow=") + (fanout.slow_subscribers ? "1" : "0"));
        args.push_back(std::string("start=") + start);
        return args;
    };
    // With late joiners, the publisher stops halfway until they are attached: one starts with the
    // next message, the other with the oldest one kept.
    const std::uint64_t pause_after = fanout.late_joiners ? fanout.messages / 2 : 0;
    std::vector<std::string> publisher_args = common;
    publisher_args.push_back("pause_after=" + std::to_string(pause_after));
    publisher_args.push_back("then_subscribers=" + std::to_string(fanout.subscribers + (fanout.late_joiners ? 2 : 0)));

    ProcessGroup group(deadline_after(fanout.time_limit));
    std::vector<ProcessGroup::Child> subscribers, victims;
    for (std::uint32_t s = 0; s < fanout.subscribers; ++s) subscribers.push_back(group.start_role("topic-subscriber", subscriber_args(0, "first")));
    for (std::uint32_t v = 0; v < fanout.victims; ++v) {
        // Each stalls at its own point, somewhere in the first half of the stream.
        const std::uint64_t stall_after = (v + 1) * fanout.messages / (2 * fanout.victims + 2) + mix(fanout.seed + v) % 1000;
        victims.push_back(group.start_role("topic-subscriber", subscriber_args(stall_after, "first")));
    }
    std::vector<ProcessGroup::Child> everyone = subscribers;
    everyone.insert(everyone.end(), victims.begin(), victims.end());
    if (!group.wait_for_reports(everyone, "ready")) return ::testing::AssertionFailure() << group.describe();
    const auto publisher = group.start_role("topic-publisher", publisher_args);
    std::vector<ProcessGroup::Child> late;
    if (fanout.late_joiners) {
        const std::vector<ProcessGroup::Child> just_publisher{publisher};
        if (!group.wait_for_reports(just_publisher, "paused")) return ::testing::AssertionFailure() << group.describe();
        late.push_back(group.start_role("topic-subscriber", subscriber_args(0, "next")));
        late.push_back(group.start_role("topic-subscriber", subscriber_args(0, "oldest")));
    }

    // Victims stall one after the other (the publisher blocked on the first cannot bring the
    // others to their points): each is killed once it stalled and the publisher ran into it.
    std::vector<std::uint64_t> kills;
    for (const auto v : victims) {
        const std::vector<ProcessGroup::Child> victim{v};
        if (!group.wait_for_reports(victim, "stalled")) return ::testing::AssertionFailure() << group.describe() << describe_ring(name);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // within `capacity` messages it blocks
        kills.push_back(steady_ns());
        group.kill(v);
    }
    const std::vector<ProcessGroup::Child> finishers{publisher};
    if (!group.wait_for(finishers) || !group.wait_for(subscribers) || !group.wait_for(late))
        return ::testing::AssertionFailure() << group.describe() << describe_ring(name);

    const std::uint64_t n = fanout.messages;
    for (const auto s : subscribers) {
        const ChildRecord& child = group.child(s);
        const auto received = child.number("received").value_or(0);
        const auto lost = child.number("lost").value_or(~std::uint64_t{0});
        if (received + lost != n)
            return ::testing::AssertionFailure() << child.name << " " << child.pid << ": received " << received << " + lost " << lost
                                                 << " != published " << n << "\n" << group.describe();
        if (!lossless && fanout.slow_subscribers && lost == 0)
            return ::testing::AssertionFailure() << "a slow lossy subscriber lost nothing: the gaps went untested\n" << group.describe();
        if (lossless && (lost != 0 || child.number("checksum") != n * (n + 1) / 2))
            return ::testing::AssertionFailure() << "a lossless subscriber missed messages:\n" << group.describe();
    }
    // Late joiners: each got every message from its first to the last, once; the one that asked
    // for the next message started exactly after the pause.
    for (std::size_t j = 0; j < late.size(); ++j) {
        const ChildRecord& child = group.child(late[j]);
        const auto first = child.number("first").value_or(0);
        const auto received = child.number("received").value_or(0);
        const auto checksum = child.number("checksum").value_or(0);
        const bool next = j == 0;
        const bool from_right_place = next ? first == pause_after + 1 : first >= 1 && first <= pause_after + 1;
        if (!from_right_place || received != n - first + 1 || checksum != (n - first + 1) * (first + n) / 2)
            return ::testing::AssertionFailure() << "late joiner (" << (next ? "next" : "oldest") << ") started at " << first
                                                 << " and received " << received << ":\n" << group.describe();
        std::printf("late joiner from the %s message started at %llu of %llu\n", next ? "next" : "oldest",
                    static_cast<unsigned long long>(first), static_cast<unsigned long long>(n));
    }
    // Each kill ended a blocked publish within a second.
    std::vector<std::uint64_t> resumed;
    const std::string ends = group.child(publisher).text("resumed").value_or("");
    for (std::size_t at = 0; at < ends.size();) {
        const std::size_t comma = std::min(ends.find(',', at), ends.size());
        resumed.push_back(std::stoull(ends.substr(at, comma - at)));
        at = comma + 1;
    }
    for (const std::uint64_t killed : kills) {
        const auto after = std::find_if(resumed.begin(), resumed.end(), [&](std::uint64_t end) { return end >= killed; });
        if (after == resumed.end() || *after - killed > 1'000'000'000)
            return ::testing::AssertionFailure() << "no blocked publish ended within 1 s of a kill\n" << group.describe();
        std::printf("the publisher resumed %.1f ms after the subscriber it waited for was killed\n", static_cast<double>(*after - killed) / 1e6);
    }
    return ::testing::AssertionSuccess();
}

}  // namespace shmring::multiprocess
