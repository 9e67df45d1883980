// Random damage: bytes flipped in the header, the positions, the registry and the records of
// real rings, and random truncation. Whatever the damage, the tool must answer: status 0 with
// valid output, or status 1 with one error line; never a crash, a hang or a write to the ring.
// Built with the asan-ubsan preset (label "sanitize"), an out-of-bounds read fails it too.
#include <chrono>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <random>

#include "damaged_ring.hpp"
#include "shmring/layout.hpp"
#include "shmring/service.hpp"
#include <span>  // before support/test_ring.hpp, which uses std::span without including it
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

namespace L = layout;

constexpr int kRounds = 120;
constexpr auto kTimeBudget = std::chrono::seconds(6);  // fewer rounds on a slow (sanitised) build

// An offset where damage hurts most: the header, the positions, anywhere else.
std::size_t pick_offset(std::mt19937_64& random, std::size_t size) {
    switch (random() % 4) {
        case 0:
        case 1: return random() % sizeof(L::SegmentHeader);
        case 2: return L::kProducerOffset + random() % (L::kConsumerOffset + 16 - L::kProducerOffset);
        default: return random() % size;
    }
}

void fuzz(const std::string& name, std::uint64_t seed) {
    DamagedRing file(name);
    ASSERT_TRUE(file.is_open());
    const std::vector<unsigned char> pristine = file.bytes();
    std::mt19937_64 random(seed);
    const auto give_up = std::chrono::steady_clock::now() + kTimeBudget;
    for (int round = 0; round < kRounds && std::chrono::steady_clock::now() < give_up; ++round) {
        file.restore(pristine);
        const int flips = 1 + static_cast<int>(random() % 8);
        for (int i = 0; i < flips; ++i) {
            const std::size_t offset = pick_offset(random, pristine.size());
            file.put<unsigned char>(offset, static_cast<unsigned char>(pristine[offset] ^ (1U + random() % 255)));
        }
        if (random() % 10 == 0) file.truncate(random() % pristine.size());
        const std::vector<unsigned char> damaged = file.bytes();

        const bool as_json = round % 2 == 0;
        const Finished stat = as_json ? run_tool({"stat", name, "--json"}) : run_tool({"stat", name});
        const std::string context = "seed " + std::to_string(seed) + " round " + std::to_string(round);
        ASSERT_TRUE(stat.exited) << context << ": signal " << stat.signal << "\n" << stat.err;
        if (stat.code == 0) {
            EXPECT_EQ(stat.err, "") << context;
            if (as_json) {
                EXPECT_TRUE(nlohmann::json::accept(stat.out)) << context;
            }
        } else {
            ASSERT_EQ(stat.code, 1) << context;
            EXPECT_TRUE(stat.err.starts_with("shmring: " + name + ": ")) << context << ": " << stat.err;
            EXPECT_EQ(std::count(stat.err.begin(), stat.err.end(), '\n'), 1) << context << ": " << stat.err;
        }
        if (round % 10 == 0) {
            const Finished ls = run_tool({"ls", "--json"});
            ASSERT_TRUE(ls.exited) << context << ": ls signal " << ls.signal;
            EXPECT_EQ(ls.code, 0) << context << ": " << ls.err;
            EXPECT_TRUE(nlohmann::json::accept(ls.out)) << context;
        }
        ASSERT_EQ(file.bytes(), damaged) << context << ": the tool wrote to the ring";
    }
}

TEST(ToolFuzz, shouldSurviveRandomDamageToAPipeWithRecords) {
    RingName ring("fuzz.pipe");
    ASSERT_EQ(run_tool({"create", "pipe", ring.str(), "--capacity", "4K"}).code, 0);
    ASSERT_EQ(run_tool({"write", ring.str()}, std::string(3000, 'r')).code, 0);  // records, and a writer's retired counters
    fuzz(ring.str(), std::random_device{}());
}

TEST(ToolFuzz, shouldSurviveRandomDamageToAnMpmcQueueWithMessages) {
    RingName ring("fuzz.mpmc");
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "8", "--message-size", "48", "--engine", "mpmc"}).code, 0);
    ASSERT_EQ(run_tool({"send", ring.str(), "one", "two", "three"}).code, 0);
    ASSERT_EQ(run_tool({"recv", ring.str(), "--count", "1"}).code, 0);  // positions away from zero
    fuzz(ring.str(), std::random_device{}());
}

TEST(ToolFuzz, shouldSurviveRandomDamageToAServiceWithPendingCalls) {
    RingName ring("fuzz.service");
    ASSERT_EQ(run_tool({"create", "service", ring.str(), "--pending", "4", "--request-size", "32", "--response-size", "32"}).code, 0);
    // A child leaves a call queued, one served and one answered, and dies attached: the image holds
    // every phase a pending call has, and no live process touches it while it is damaged.
    const pid_t child = ::fork();
    if (child == 0) {
        auto server = ServiceServer::attach(ring.str());
        auto client = ServiceClient::attach(ring.str());
        std::uint64_t ids[3];
        const std::byte request[4]{};
        for (std::uint64_t& id : ids)
            if (!server || !client || client->try_send(request, id) != Status::ok) ::_exit(1);
        const Request answered = server->try_receive();
        const bool ok = answered.status == Status::ok && server->reply(answered.id, request) == Status::ok &&
                        server->try_receive().status == Status::ok;
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_EQ(WEXITSTATUS(status), 0);
    fuzz(ring.str(), std::random_device{}());
}

}  // namespace
}  // namespace shmring::testing
