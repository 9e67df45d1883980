// The non-blocking data path makes no system call and no allocation.
//
// A forked child attaches a producer and a consumer, runs every operation for a while to warm up,
// and confines itself in a seccomp sandbox (sandbox.hpp) that kills it at the first system call
// other than write and exit. It then runs the try_* ladder many times over, checking every message,
// and counts the allocations it made meanwhile. It reports with write() and ends with the exit
// system call. No other endpoint is attached, so no operation ever finds a sleeper to wake. A bare
// fork, not an exec: the child runs a function of this test, and it is single-threaded, as seccomp
// confines only the calling thread.
#include <gtest/gtest.h>

#include <array>
#include <csignal>
#include <cstring>
#include <sys/wait.h>

#include "harness/message_stream.hpp"
#include "harness/process_group.hpp"
#include "harness/ring_snapshot.hpp"
#include "shmring/mpmc_ring.hpp"
#include "shmring/shmring.h"
#include "shmring/spsc_ring.hpp"
#include "support/test_ring.hpp"
#include "syscall_free/allocation_counter.hpp"
#include "syscall_free/sandbox.hpp"
#include "workloads/endpoint_options.hpp"

namespace shmring::multiprocess {
namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kWarmUpRounds = 1'000;
constexpr std::uint64_t kRounds = 100'000;
constexpr std::uint64_t kSeed = 0x5EED0003;
constexpr std::size_t kMaxBody = 40;
constexpr std::uint64_t kSpscCapacity = 4096;
constexpr std::uint64_t kMpmcSlots = 8;
constexpr std::uint32_t kSlotSize = 48;
constexpr std::size_t kSequenceSize = sizeof(std::uint64_t);
// Every this many rounds the ring is filled until it refuses, then drained: the "full" path.
constexpr std::uint64_t kFillEvery = 64;

// The child's tally. In the sandbox it must neither allocate nor format, so a failure is kept as a
// string literal and a round number until the report.
class Tally {
public:
    void check(bool ok, const char* what, std::uint64_t round) noexcept {
        ++operations_;
        if (ok || failures_++ != 0) return;
        first_failure_ = what;
        first_failure_round_ = round;
    }
    std::uint64_t failures() const noexcept { return failures_; }
    void report(Report& report) const noexcept {
        report.put("operations", operations_);
        report.put("failures", failures_);
        if (failures_ == 0) return;
        report.put("first_failure", first_failure_);
        report.put("first_failure_round", first_failure_round_);
    }

private:
    std::uint64_t operations_ = 0;
    std::uint64_t failures_ = 0;
    const char* first_failure_ = "";
    std::uint64_t first_failure_round_ = 0;
};

struct SpscEnds {
    SpscProducer producer;
    SpscConsumer consumer;
};

struct MpmcEnds {
    MpmcProducer producer;
    MpmcConsumer consumer;
};

Result<SpscEnds> attach_spsc(std::string_view name) {
    auto producer = SpscProducer::attach(name);
    if (!producer) return producer.error();
    auto consumer = SpscConsumer::attach(name);
    if (!consumer) return consumer.error();
    return SpscEnds{std::move(*producer), std::move(*consumer)};
}

Result<MpmcEnds> attach_mpmc(std::string_view name) {
    auto producer = MpmcProducer::attach(name);
    if (!producer) return producer.error();
    auto consumer = MpmcConsumer::attach(name);
    if (!consumer) return consumer.error();
    return MpmcEnds{std::move(*producer), std::move(*consumer)};
}

std::uint32_t type_of(std::uint64_t sequence) noexcept { return static_cast<std::uint32_t>(sequence % layout::kRecordTypePadding); }

// Every non-blocking SPSC operation: try_send, try_receive, try_claim, commit(later), flush,
// try_peek, release(later), and the refusals of an empty and of a full ring.
void spsc_round(SpscEnds& ends, std::uint64_t round, Tally& tally) noexcept {
    const MessageStream stream(kSeed, 0, kMaxBody);
    const auto received_intact = [&](const View& record, std::uint64_t sequence) {
        return record.status == Status::ok && record.type == type_of(sequence) && stream.matches(sequence, record.data);
    };
    std::byte message[kMaxBody];
    std::byte buffer[kMaxBody];
    const std::uint64_t copied = 3 * round;
    const std::span<std::byte> out(message, stream.size_of(copied));
    stream.fill(copied, out);
    const auto receive = [&] {
        View record{Status::again, {}};
        std::size_t length = 0;
        record.status = ends.consumer.try_receive(buffer, length, &record.type);
        record.data = std::span(buffer, length);
        return record;
    };

    tally.check(ends.producer.try_send(out, type_of(copied)) == Status::ok, "try_send", round);
    tally.check(received_intact(receive(), copied), "try_receive", round);

    for (const std::uint64_t sequence : {copied + 1, copied + 2}) {
        const Loan claim = ends.producer.try_claim(stream.size_of(sequence));
        tally.check(claim.status == Status::ok, "try_claim", round);
        if (claim.status != Status::ok) return;
        stream.fill(sequence, claim.data);
        ends.producer.commit(claim.data.size(), type_of(sequence), Flush::later);
    }
    tally.check(ends.consumer.try_peek().status == Status::again, "try_peek saw records before flush()", round);
    ends.producer.flush();
    for (const std::uint64_t sequence : {copied + 1, copied + 2}) {
        const View record = ends.consumer.try_peek();
        tally.check(received_intact(record, sequence), "try_peek", round);
        if (record.status == Status::ok) ends.consumer.release(Flush::later);
    }
    ends.consumer.flush();
    tally.check(ends.consumer.try_peek().status == Status::again, "try_peek of an empty ring", round);

    if (round % kFillEvery != 0) return;
    std::uint64_t held = 0;
    while (held <= kSpscCapacity && ends.producer.try_send(out, type_of(copied)) == Status::ok) ++held;
    tally.check(held > 0 && held <= kSpscCapacity, "try_send until the ring is full", round);
    for (std::uint64_t i = 0; i < held; ++i) tally.check(received_intact(receive(), copied), "try_receive of a full ring", round);
}

// Every non-blocking MPMC operation that moves a message: try_send, try_receive, try_claim, commit,
// try_peek, release. A message is its sequence number and a body.
void mpmc_round(MpmcEnds& ends, std::uint64_t round, Tally& tally) noexcept {
    const MessageStream stream(kSeed, 1, kMaxBody);
    const auto write_message = [&](std::uint64_t sequence, std::span<std::byte> out) {
        std::memcpy(out.data(), &sequence, kSequenceSize);
        stream.fill(sequence, out.subspan(kSequenceSize, stream.size_of(sequence)));
        return kSequenceSize + stream.size_of(sequence);
    };
    const auto intact = [&](std::span<const std::byte> data, std::uint64_t sequence) {
        return data.size() >= kSequenceSize && std::memcmp(data.data(), &sequence, kSequenceSize) == 0 &&
               stream.matches(sequence, data.subspan(kSequenceSize));
    };
    std::byte message[kSlotSize];
    std::byte buffer[kSlotSize];
    const auto receive_intact = [&](std::uint64_t sequence) {
        std::size_t length = 0;
        return ends.consumer.try_receive(buffer, length) == Status::ok && intact(std::span(buffer, length), sequence);
    };
    const std::uint64_t copied = 2 * round;
    const std::size_t copied_length = write_message(copied, message);

    tally.check(ends.producer.try_send(std::span(message, copied_length)) == Status::ok, "try_send", round);
    tally.check(receive_intact(copied), "try_receive", round);

    const std::uint64_t loaned = copied + 1;
    const Loan loan = ends.producer.try_claim();
    tally.check(loan.status == Status::ok, "try_claim", round);
    if (loan.status != Status::ok) return;
    ends.producer.commit(write_message(loaned, loan.data));
    const View taken = ends.consumer.try_peek();
    tally.check(taken.status == Status::ok && intact(taken.data, loaned), "try_peek", round);
    if (taken.status == Status::ok) ends.consumer.release();
}

// The MPMC refusals: try_peek of an empty ring, try_send and try_claim of a full one. Every 1024th
// refusal also reads the clock, to look for a slot abandoned by a dead endpoint once per probe
// interval (MpmcSide::repair_due), so these run under the system-call filter, not in strict mode.
void mpmc_refusal_round(MpmcEnds& ends, std::uint64_t round, Tally& tally) noexcept {
    const std::uint64_t value = round;
    const auto message = std::as_bytes(std::span(&value, 1));
    tally.check(ends.consumer.try_peek().status == Status::again, "try_peek of an empty ring", round);
    if (round % kFillEvery != 0) return;
    std::uint64_t held = 0;
    while (held <= kMpmcSlots && ends.producer.try_send(message) == Status::ok) ++held;
    tally.check(held == kMpmcSlots, "try_send until the ring is full", round);
    tally.check(ends.producer.try_claim().status == Status::again, "try_claim of a full ring", round);
    for (std::uint64_t i = 0; i < held; ++i) {
        std::uint64_t received = 0;
        std::size_t length = 0;
        tally.check(ends.consumer.try_receive(std::as_writable_bytes(std::span(&received, 1)), length) == Status::ok &&
                        length == sizeof received && received == value,
                    "try_receive of a full ring", round);
    }
}

// One poll of a ring whose next slot is claimed and not yet published: always a refusal.
void poll_claimed_slot(MpmcConsumer& consumer, std::uint64_t round, Tally& tally) noexcept {
    tally.check(consumer.try_peek().status == Status::again, "try_peek of a slot still being written", round);
}

// The C API's queue, both handles in this process. Closed by the child's exit, never by the
// sandboxed code (closing makes system calls).
struct CQueueEnds {
    shmring_queue* sender = nullptr;
    shmring_queue* receiver = nullptr;
};

Result<CQueueEnds> open_c_queue(const char* name) {
    CQueueEnds ends;
    if (const int rc = shmring_queue_open(name, SHMRING_SENDER, &ends.sender); rc < 0)
        return Error(Errc::system, std::string("shmring_queue_open: ") + shmring_strerror(rc), -rc);
    if (const int rc = shmring_queue_open(name, SHMRING_RECEIVER, &ends.receiver); rc < 0)
        return Error(Errc::system, std::string("shmring_queue_open: ") + shmring_strerror(rc), -rc);
    return ends;
}

// Every C queue call that moves a message, each with a timeout of one second: a call whose try
// succeeds must neither read the clock (strict mode kills a clock read) nor enter the kernel. Then
// the refusals of an empty queue with timeout 0.
void c_queue_round(CQueueEnds& ends, std::uint64_t round, Tally& tally) noexcept {
    constexpr std::int64_t kSecond = 1'000'000'000;
    const MessageStream stream(kSeed, 2, kMaxBody);
    std::byte message[kMaxBody];
    std::byte buffer[kMaxBody];
    const auto fill = [&](std::uint64_t sequence, void* out) {
        const std::span<std::byte> bytes(static_cast<std::byte*>(out), stream.size_of(sequence));
        stream.fill(sequence, bytes);
        return bytes.size();
    };
    const auto intact = [&](std::uint64_t sequence, const void* data, ssize_t length) {
        return length >= 0 && stream.matches(sequence, {static_cast<const std::byte*>(data), static_cast<std::size_t>(length)});
    };
    const std::uint64_t first = 8 * round;

    const std::size_t length = fill(first, message);
    tally.check(shmring_queue_send(ends.sender, message, length, kSecond) == 0, "shmring_queue_send", round);
    tally.check(intact(first, buffer, shmring_queue_receive(ends.receiver, buffer, sizeof buffer, kSecond)), "shmring_queue_receive",
                round);

    void* room = nullptr;
    std::size_t cap = 0;
    tally.check(shmring_queue_loan(ends.sender, &room, &cap, kSecond) == 0, "shmring_queue_loan", round);
    if (room == nullptr) return;
    tally.check(shmring_queue_commit(ends.sender, fill(first + 1, room)) == 0, "shmring_queue_commit", round);
    const void* peeked = nullptr;
    tally.check(intact(first + 1, peeked, shmring_queue_peek(ends.receiver, &peeked, kSecond)), "shmring_queue_peek", round);
    tally.check(shmring_queue_release(ends.receiver) == 0, "shmring_queue_release", round);

    std::byte batch[4][kMaxBody];
    iovec out[4];
    iovec in[4];
    for (std::size_t k = 0; k < 4; ++k) {
        out[k] = {batch[k], fill(first + 2 + k, batch[k])};
        in[k] = {batch[k], 0};
    }
    tally.check(shmring_queue_send_batch(ends.sender, out, 4, kSecond) == 4, "shmring_queue_send_batch", round);
    std::byte received[4][kMaxBody];
    for (std::size_t k = 0; k < 4; ++k) in[k] = {received[k], kMaxBody};
    tally.check(shmring_queue_receive_batch(ends.receiver, in, 4, kSecond) == 4, "shmring_queue_receive_batch", round);
    for (std::size_t k = 0; k < 4; ++k)
        tally.check(intact(first + 2 + k, in[k].iov_base, static_cast<ssize_t>(in[k].iov_len)), "a batch's message", round);
    tally.check(shmring_queue_receive(ends.receiver, buffer, sizeof buffer, 0) == -EAGAIN, "receive from an empty queue", round);
}

// The child: warm up, enter the sandbox, run the rounds, report, exit.
template <class Ends>
int run_in_sandbox(Report& report, Sandbox sandbox, Result<Ends> ends, void (*round)(Ends&, std::uint64_t, Tally&)) {
    if (!ends) return report.fail(ends.error().message());
    Tally warm_up;
    for (std::uint64_t r = 0; r < kWarmUpRounds; ++r) round(*ends, r, warm_up);
    if (warm_up.failures() != 0) {
        warm_up.report(report);
        return report.fail("the warm-up failed, before the sandbox");
    }
    const std::uint64_t allocations_before = allocations_by_this_thread();
    if (!enter(sandbox)) return report.fail(std::string("entering ") + sandbox_name(sandbox) + ": " + std::strerror(errno));
    Tally tally;
    for (std::uint64_t r = kWarmUpRounds; r < kWarmUpRounds + kRounds; ++r) round(*ends, r, tally);
    report.put("allocations", allocations_by_this_thread() - allocations_before);
    tally.report(report);
    exit_thread(0);
}

// The parent's verdict on a child that ran run_in_sandbox.
void expect_no_system_call_and_no_allocation(ProcessGroup& group, ProcessGroup::Child child, std::uint64_t checks_per_round) {
    ASSERT_TRUE(group.wait_for_all()) << "a child killed in its sandbox made a system call (SIGKILL in strict mode, SIGSYS "
                                         "under the filter) or read the clock in strict mode (SIGSEGV)\n"
                                      << group.describe();
    const ChildRecord& record = group.child(child);
    EXPECT_EQ(record.number("failures"), 0U) << group.describe();
    EXPECT_GE(record.number("operations").value_or(0), checks_per_round * kRounds) << group.describe();
    EXPECT_EQ(record.number("allocations"), 0U) << group.describe();
}

TEST(SyscallFreeDataPath, shouldMakeNoSystemCallAndNoAllocationInNonBlockingSpscOperations) {
    const testing::RingName name("mp.strict.spsc");
    ASSERT_TRUE(create_spsc_ring(name, kSpscCapacity));
    ProcessGroup group(deadline_after(30s));
    const auto child = group.start_forked("spsc data path in strict mode", [&](Report& report) {
        return run_in_sandbox(report, Sandbox::strict, attach_spsc(name), &spsc_round);
    });
    expect_no_system_call_and_no_allocation(group, child, 8);
}

TEST(SyscallFreeDataPath, shouldMakeNoSystemCallAndNoAllocationInNonBlockingMpmcOperations) {
    const testing::RingName name("mp.strict.mpmc");
    ASSERT_TRUE(create_mpmc_ring(name, kMpmcSlots, kSlotSize));
    ProcessGroup group(deadline_after(30s));
    const auto child = group.start_forked("mpmc data path in strict mode", [&](Report& report) {
        return run_in_sandbox(report, Sandbox::strict, attach_mpmc(name), &mpmc_round);
    });
    expect_no_system_call_and_no_allocation(group, child, 4);
}

// The C API's fast path, with either engine: a call that succeeds at once reads no clock (strict
// mode disables it), allocates nothing and makes no system call, whatever its timeout.
class SyscallFreeCQueue : public ::testing::TestWithParam<int> {};

TEST_P(SyscallFreeCQueue, shouldMakeNoSystemCallNoAllocationAndNoClockReadInQueueCallsThatSucceedAtOnce) {
    const testing::RingName name("mp.strict.c-queue");
    ASSERT_EQ(shmring_queue_create(name.str().c_str(), 8, kMaxBody, GetParam(), 0600), 0);
    ProcessGroup group(deadline_after(30s));
    const auto child = group.start_forked("C queue calls in strict mode", [&](Report& report) {
        return run_in_sandbox(report, Sandbox::strict, open_c_queue(name.str().c_str()), &c_queue_round);
    });
    expect_no_system_call_and_no_allocation(group, child, 12);
}

INSTANTIATE_TEST_SUITE_P(Engines, SyscallFreeCQueue, ::testing::Values(SHMRING_SPSC, SHMRING_MPMC),
                         [](const ::testing::TestParamInfo<int>& info) { return info.param == SHMRING_SPSC ? "spsc" : "mpmc"; });

TEST(SyscallFreeDataPath, shouldMakeNoSystemCallAndNoAllocationWhenMpmcOperationsRefuse) {
    const testing::RingName name("mp.filter.mpmc");
    ASSERT_TRUE(create_mpmc_ring(name, kMpmcSlots, kSlotSize));
    ProcessGroup group(deadline_after(30s));
    const auto child = group.start_forked("mpmc refusals under the system-call filter", [&](Report& report) {
        return run_in_sandbox(report, Sandbox::system_call_filter, attach_mpmc(name), &mpmc_refusal_round);
    });
    expect_no_system_call_and_no_allocation(group, child, 1);
}

// Polling try_peek while the next slot is claimed by a live producer that has not published yet,
// a state any busy ring passes through: the refusal path must not look for dead claimants (that
// asks /proc), or this child dies of SIGSYS.
TEST(SyscallFreeDataPath, shouldMakeNoSystemCallWhilePollingASlotClaimedByALiveProducer) {
    const testing::RingName name("mp.filter.claimed");
    ASSERT_TRUE(create_mpmc_ring(name, kMpmcSlots, kSlotSize));
    ProcessGroup group(deadline_after(30s));
    const std::array holder{group.start_forked("producer holding a loan", [&](Report& report) {
        auto producer = MpmcProducer::attach(name);
        if (!producer) return report.fail(producer.error().message());
        if (const Loan loan = producer->try_claim(); loan.status != Status::ok)
            return report.fail(std::string("try_claim: ") + describe(loan.status));
        report.put("loaned", 1);
        pause_until_killed();  // leaving would finish the claim
    })};
    ASSERT_TRUE(group.wait_for_reports(holder, "loaned")) << group.describe();
    const std::array poller{group.start_forked("consumer polling under the system-call filter", [&](Report& report) {
        return run_in_sandbox(report, Sandbox::system_call_filter, MpmcConsumer::attach(name), &poll_claimed_slot);
    })};
    ASSERT_TRUE(group.wait_for(poller)) << "the poll made a system call\n" << group.describe();
    EXPECT_EQ(group.child(poller[0]).number("failures"), 0U) << group.describe();
}

// The tests above pass only if the sandboxes really kill a child that makes a system call on the
// data path. The one a send can make is the futex wake of a sleeping consumer: provide one.
class SyscallFreeHarness : public ::testing::TestWithParam<Sandbox> {};

TEST_P(SyscallFreeHarness, shouldSeeAChildKilledWhenItsSendMustWakeASleepingConsumer) {
    const Sandbox sandbox = GetParam();
    const testing::RingName name("mp.sandbox.sleeper");
    ASSERT_TRUE(create_spsc_ring(name, kSpscCapacity));
    ProcessGroup group(deadline_after(30s));
    group.start_forked("consumer parked on an empty ring", [&](Report& report) {
        auto consumer = SpscConsumer::attach(name, attach_options(WaitStrategy::block));
        if (!consumer) return report.fail(consumer.error().message());
        std::byte buffer[8];
        std::size_t length = 0;
        // The send may bump the futex word before this process is inside FUTEX_WAIT, which then
        // returns at once with the message: the wake-up is not lost, and the sender still calls
        // FUTEX_WAKE, since it saw a sleeper.
        report.put("received", describe(consumer->receive(buffer, length)));
        return 0;
    });
    const auto sender = group.start_forked("send to a sleeper in a sandbox", [&](Report& report) {
        auto producer = SpscProducer::attach(name);
        if (!producer) return report.fail(producer.error().message());
        if (!wait_for_parked(producer->ring(), layout::EndpointRole::consumer, 1, 1, deadline_after(20s)))
            return report.fail("the consumer never parked");
        if (!enter(sandbox)) return report.fail(std::string("entering ") + sandbox_name(sandbox) + ": " + std::strerror(errno));
        const std::byte message[8]{};
        report.put("survived_send_with_status", static_cast<std::uint64_t>(producer->try_send(message)));
        exit_thread(0);
    });
    EXPECT_FALSE(group.wait_for_all());
    const int status = group.child(sender).wait_status;
    const int expected_signal = sandbox == Sandbox::strict ? SIGKILL : SIGSYS;
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == expected_signal && !group.child(sender).killed_by_group)
        << group.describe();
}

INSTANTIATE_TEST_SUITE_P(Sandboxes, SyscallFreeHarness, ::testing::Values(Sandbox::strict, Sandbox::system_call_filter),
                         [](const ::testing::TestParamInfo<Sandbox>& info) {
                             return info.param == Sandbox::strict ? "strict" : "system_call_filter";
                         });

TEST(SyscallFreeAllocationCounter, shouldCountAllocationsMadeByOperatorNewAndMalloc) {
    const std::uint64_t before = allocations_by_this_thread();
    // Volatile: the compiler may otherwise drop an allocation whose memory is never used.
    std::uint64_t* volatile object = new std::uint64_t(1);
    void* volatile block = std::malloc(64);
    const std::uint64_t counted = allocations_by_this_thread() - before;
    std::free(block);
    delete object;
    EXPECT_EQ(counted, 2U);
}

}  // namespace
}  // namespace shmring::multiprocess
