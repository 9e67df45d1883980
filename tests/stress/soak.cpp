// shmring-soak: a long, randomised run for finding what short tests miss. The suite runs it for
// 20 s; run it by hand for longer, e.g. `build/dev/tests/stress/shmring-soak --seconds 600`.
//
// Producer and consumer processes exchange tagged messages through one MPMC ring while the soak
// kills a random one with SIGKILL every few hundred milliseconds and starts a replacement. Each
// consumer records a message in the audit area before releasing its slot. The final audit: no
// message was delivered twice or corrupted, and every message that was sent but never recorded is
// covered by the ring's lost_messages count (a slot repaired after its owner died).
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <thread>

#include "shmring/mpmc_ring.hpp"
#include "stress/child_process.hpp"

namespace {

using namespace std::chrono_literals;
using shmring::Status;

constexpr std::uint32_t kSlots = 64;
constexpr int kProducers = 4;
constexpr int kConsumers = 4;
constexpr std::uint32_t kMaxIdentities = 4096;           // producer processes over the whole run
constexpr std::uint32_t kMaxSequence = 1 << 16;          // messages one producer process sends at most

struct Tagged {
    std::uint32_t identity;  // which producer process
    std::uint32_t sequence;
    std::uint64_t check;
    std::uint8_t padding[48];  // random size within the slot: [0, 48) bytes of it are sent
};

std::uint64_t check_of(std::uint32_t identity, std::uint32_t sequence) {
    return (std::uint64_t{identity} << 32 | sequence) * 0x9E3779B97F4A7C15ULL;
}

struct Audit {
    std::atomic<std::uint32_t> sent[kMaxIdentities];                  // sequences claimed per identity
    std::atomic<std::uint8_t> seen[kMaxIdentities][kMaxSequence / 8];  // one bit per delivered message
    std::atomic<std::uint64_t> duplicates;
    std::atomic<std::uint64_t> corrupt;
    std::atomic<std::uint64_t> delivered;
};

int produce(const std::string& name, Audit& audit, std::uint32_t identity) {
    auto producer = shmring::MpmcProducer::attach(name);
    if (!producer) return 1;
    std::mt19937 random(identity);
    for (std::uint32_t sequence = 0; sequence < kMaxSequence; ++sequence) {
        const shmring::Loan loan = producer->claim();
        if (loan.status != Status::ok) return 2;
        // Counted before publishing: a producer killed in between leaves a message sent, never
        // delivered, and repaired as lost.
        audit.sent[identity].store(sequence + 1, std::memory_order_relaxed);  // relaxed: read after every child exits
        Tagged message{identity, sequence, check_of(identity, sequence), {}};
        const std::size_t length = 16 + random() % 48;
        std::memcpy(loan.data.data(), &message, length);
        if (random() % 256 == 0) std::this_thread::sleep_for(500us);  // widen the window a kill can hit
        producer->commit(length);
    }
    return 0;
}

int consume(const std::string& name, Audit& audit) {
    auto consumer = shmring::MpmcConsumer::attach(name);
    if (!consumer) return 1;
    std::mt19937 random(static_cast<std::uint32_t>(::getpid()));
    for (;;) {
        const shmring::View message = consumer->peek(shmring::deadline_after(100ms));
        if (message.status == Status::timed_out) continue;
        if (message.status != Status::ok) return 2;
        Tagged tagged{};
        std::memcpy(&tagged, message.data.data(), std::min(message.data.size(), sizeof tagged));
        // Relaxed: counters and bits read by the parent after every child has exited.
        if (message.data.size() < 16 || tagged.identity >= kMaxIdentities || tagged.sequence >= kMaxSequence ||
            tagged.check != check_of(tagged.identity, tagged.sequence)) {
            audit.corrupt.fetch_add(1, std::memory_order_relaxed);
        } else {
            const std::uint8_t bit = 1U << (tagged.sequence % 8);
            if (audit.seen[tagged.identity][tagged.sequence / 8].fetch_or(bit, std::memory_order_relaxed) & bit)
                audit.duplicates.fetch_add(1, std::memory_order_relaxed);
            audit.delivered.fetch_add(1, std::memory_order_relaxed);
        }
        if (random() % 256 == 0) std::this_thread::sleep_for(500us);  // widen the window a kill can hit
        consumer->release();
    }
}

}  // namespace

int main(int argc, char** argv) {
    int seconds = 60;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--seconds") seconds = std::stoi(argv[i + 1]);
    const std::string name = "soak." + std::to_string(::getpid());
    if (!shmring::create_mpmc_ring(name, kSlots, sizeof(Tagged))) return 1;
    shmring::testing::SharedArray<Audit> audit_area(1);
    Audit& audit = audit_area[0];
    std::mt19937 random(std::random_device{}());
    std::uint32_t next_identity = 0;
    std::vector<pid_t> producers, consumers;
    const auto start_producer = [&] {
        const std::uint32_t identity = next_identity++;
        producers.push_back(shmring::testing::spawn([&, identity] { return produce(name, audit, identity); }));
    };
    for (int i = 0; i < kProducers; ++i) start_producer();
    for (int i = 0; i < kConsumers; ++i) consumers.push_back(shmring::testing::spawn([&] { return consume(name, audit); }));
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    std::uint64_t kills = 0;
    while (std::chrono::steady_clock::now() < end && next_identity < kMaxIdentities) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50 + random() % 400));
        auto& group = random() % 2 == 0 ? producers : consumers;
        const std::size_t victim = random() % group.size();
        ::kill(group[victim], SIGKILL);
        ::waitpid(group[victim], nullptr, 0);
        group.erase(group.begin() + static_cast<long>(victim));
        ++kills;
        if (&group == &producers) start_producer();
        else consumers.push_back(shmring::testing::spawn([&] { return consume(name, audit); }));
    }
    for (const pid_t p : producers) ::kill(p, SIGKILL);
    shmring::testing::reap_all(producers, 1s);
    std::this_thread::sleep_for(2s);  // consumers drain what was published, repairing dead producers' slots
    for (const pid_t c : consumers) ::kill(c, SIGKILL);
    shmring::testing::reap_all(consumers, 1s);

    auto ring = shmring::RingSegment::open(name, shmring::Access::read_only);
    const std::uint64_t lost = ring ? ring->control().lost_messages.load(std::memory_order_relaxed) : 0;
    std::uint64_t sent = 0, missing = 0;
    for (std::uint32_t id = 0; id < next_identity; ++id) {
        const std::uint32_t count = audit.sent[id].load();
        sent += count;
        for (std::uint32_t s = 0; s < count; ++s)
            if (!(audit.seen[id][s / 8].load() & (1U << (s % 8)))) ++missing;
    }
    (void)shmring::Segment::unlink(name);
    // Messages still in the ring when the consumers were killed are missing too; they cannot
    // exceed its capacity, plus the slots held by killed endpoints (counted in `lost`).
    const bool ok = audit.duplicates.load() == 0 && audit.corrupt.load() == 0 && missing <= lost + kSlots;
    std::printf("soak %d s: %llu kills, %u producer processes, %llu sent, %llu delivered, %llu missing, %llu lost (repaired), "
                "%llu duplicated, %llu corrupt: %s\n",
                seconds, static_cast<unsigned long long>(kills), next_identity, static_cast<unsigned long long>(sent),
                static_cast<unsigned long long>(audit.delivered.load()), static_cast<unsigned long long>(missing),
                static_cast<unsigned long long>(lost), static_cast<unsigned long long>(audit.duplicates.load()),
                static_cast<unsigned long long>(audit.corrupt.load()), ok ? "PASSED" : "FAILED");
    return ok ? 0 : 1;
}
