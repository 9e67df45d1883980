#include "harness/patterns.hpp"

#include <cerrno>
#include <ctime>

#include "harness/clock.hpp"
#include "harness/message.hpp"
#include "harness/watchdog.hpp"

namespace shmring::bench {

namespace {

// Each step returns false once the outcome carries an error.
bool send_one(ChannelEnd& channel_end, std::size_t size, std::uint64_t seq, RoleOutcome& out) {
    std::span<std::byte> buffer;
    if (!channel_end.begin_send(size, buffer)) {
        out.error = "send " + std::to_string(seq & ~kReplyBit) + ": " + channel_end.error();
        return false;
    }
    fill_message(buffer, seq);
    if (!channel_end.end_send()) {
        out.error = "send " + std::to_string(seq & ~kReplyBit) + ": " + channel_end.error();
        return false;
    }
    return true;
}

bool flush(ChannelEnd& channel_end, RoleOutcome& out) {
    if (channel_end.flush()) return true;
    out.error = "flush: " + channel_end.error();
    return false;
}

bool receive_one(ChannelEnd& channel_end, std::size_t size, SequenceChecker& checker, RoleOutcome& out) {
    std::span<const std::byte> message;
    if (channel_end.begin_receive(size, message)) {
        checker.check(message);
        if (channel_end.end_receive()) return true;
    }
    out.error = "receive " + std::to_string(checker.received()) + ": " + channel_end.error();
    return false;
}

bool sleep_until(std::int64_t when_ns, RoleOutcome& out) {
    const timespec until{static_cast<time_t>(when_ns / 1'000'000'000), static_cast<long>(when_ns % 1'000'000'000)};
    while (::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, nullptr) == EINTR) {
        if (watchdog_expired()) {
            out.error = "paced sender: timed out";
            return false;
        }
    }
    return true;
}

// The checker's verdict becomes the outcome's error, unless a transport error came first.
void conclude(const SequenceChecker& checker, RoleOutcome& out) {
    if (out.error.empty() && !checker.ok()) out.error = checker.verdict();
}

RoleOutcome ping(ChannelEnd& channel_end, const Job& job) {
    RoleOutcome out;
    const std::uint64_t total = job.warmup + job.count;
    SequenceChecker replies(total, job.size, kReplyBit);
    out.samples.reserve(job.count);
    std::int64_t previous = 0;
    for (std::uint64_t i = 0; i < total; ++i) {
        if (i == job.warmup) {
            out.cpu_ns = cpu_ns();
            previous = out.start_ns = now_ns();
        }
        if (!send_one(channel_end, job.size, i, out) || !flush(channel_end, out)) break;
        if (!receive_one(channel_end, job.size, replies, out)) break;
        if (i >= job.warmup) {
            // One clock read per round trip: each sample ends where the next begins.
            const std::int64_t now = now_ns();
            out.samples.push_back(now - previous);
            previous = now;
            ++out.messages;
        }
    }
    out.end_ns = now_ns();
    out.cpu_ns = cpu_ns() - out.cpu_ns;
    conclude(replies, out);
    return out;
}

RoleOutcome pong(ChannelEnd& channel_end, const Job& job) {
    RoleOutcome out;
    const std::uint64_t total = job.warmup + job.count;
    SequenceChecker pings(total, job.size, 0);
    for (std::uint64_t i = 0; i < total; ++i) {
        if (i == job.warmup) {
            out.cpu_ns = cpu_ns();
            out.start_ns = now_ns();
        }
        if (!receive_one(channel_end, job.size, pings, out)) break;
        // The reply carries the sequence the ping should have had, so a bad ping is reported
        // here and not again as a bad reply.
        if (!send_one(channel_end, job.size, i | kReplyBit, out) || !flush(channel_end, out)) break;
        if (i >= job.warmup) ++out.messages;
    }
    out.end_ns = now_ns();
    out.cpu_ns = cpu_ns() - out.cpu_ns;
    conclude(pings, out);
    return out;
}

RoleOutcome stream_out(ChannelEnd& channel_end, const Job& job) {
    RoleOutcome out;
    const std::uint64_t total = job.warmup + job.count;
    const bool paced = job.pattern == Pattern::paced;
    std::int64_t next = now_ns() + kPacedPeriodNs;
    for (std::uint64_t i = 0; i < total; ++i) {
        if (i == job.warmup) {
            out.cpu_ns = cpu_ns();
            out.start_ns = now_ns();
        }
        if (paced) {
            if (!sleep_until(next, out)) break;
            next += kPacedPeriodNs;
        }
        if (!send_one(channel_end, job.size, i, out)) break;
        // Paced messages go out one by one; a full-speed stream lets the transport batch.
        if (paced && !flush(channel_end, out)) break;
        if (i >= job.warmup) ++out.messages;
    }
    if (out.error.empty()) flush(channel_end, out);
    out.end_ns = now_ns();
    out.cpu_ns = cpu_ns() - out.cpu_ns;
    return out;
}

RoleOutcome stream_in(ChannelEnd& channel_end, const Job& job) {
    RoleOutcome out;
    SequenceChecker checker(job.warmup + job.count, job.size, 0);
    while (!checker.done()) {
        if (checker.received() == job.warmup) {
            out.cpu_ns = cpu_ns();
            out.start_ns = now_ns();
        }
        if (!receive_one(channel_end, job.size, checker, out)) break;
    }
    out.end_ns = now_ns();
    out.cpu_ns = cpu_ns() - out.cpu_ns;
    out.messages = checker.received() > job.warmup ? checker.received() - job.warmup : 0;
    conclude(checker, out);
    return out;
}

}  // namespace

RoleOutcome run_parent_role(ChannelEnd& channel_end, const Job& job) {
    return job.pattern == Pattern::latency ? ping(channel_end, job) : stream_out(channel_end, job);
}

RoleOutcome run_child_role(ChannelEnd& channel_end, const Job& job) {
    return job.pattern == Pattern::latency ? pong(channel_end, job) : stream_in(channel_end, job);
}

}  // namespace shmring::bench
