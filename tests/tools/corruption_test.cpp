// Damaged segments: for each kind of damage, written into a real ring's file, the exact error
// line and status 1 from stat, and the ring marked (not skipped) by ls.
#include <functional>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "damaged_ring.hpp"
#include "shmring/layout.hpp"
#include <span>  // before support/test_ring.hpp, which uses std::span without including it

#include "support/test_ring.hpp"
#include "tool_process.hpp"

namespace shmring::testing {
namespace {

using nlohmann::json;
namespace L = layout;

constexpr std::uint64_t kCapacity = 4096;              // the pipe every case starts from
constexpr std::uint64_t kMaxMessage = kCapacity / 2 - 8;  // its message limit
constexpr std::uint64_t kTotal = L::kDataOffset + kCapacity;

struct Facts {
    std::string creator_pid;  // of the create command, long dead
};

struct Damage {
    const char* label;
    std::function<void(DamagedRing&)> apply;
    std::function<std::string(const Facts&)> reason;  // after "shmring: NAME: corrupt: "
    const char* ls_state = "corrupt";
};

void PrintTo(const Damage& damage, std::ostream* out) { *out << damage.label; }

std::function<std::string(const Facts&)> fixed(std::string text) {
    return [text](const Facts&) { return text; };
}

void record_at_start(DamagedRing& ring, std::uint32_t length, std::uint32_t type) {
    ring.put(L::kDataOffset, L::RecordHeader{length, type});
    ring.put<std::uint64_t>(L::kProducerOffset, 16);
}

class ToolCorruption : public ::testing::TestWithParam<Damage> {};

TEST_P(ToolCorruption, shouldReportTheDamageInOneLineAndExit1) {
    const Damage& damage = GetParam();
    RingName ring(std::string("corrupt.") + damage.label);
    const std::string name = ring.str();
    ASSERT_EQ(run_tool({"create", "pipe", name, "--capacity", std::to_string(kCapacity)}).code, 0);
    const Facts facts{std::to_string(json::parse(run_tool({"stat", name, "--json"}).out).at("creator").at("pid").get<std::uint32_t>())};
    {
        DamagedRing file(name);
        ASSERT_TRUE(file.is_open());
        damage.apply(file);
    }
    const std::string line = "shmring: " + name + ": corrupt: " + damage.reason(facts) + "\n";
    for (const bool as_json : {false, true}) {
        const Finished stat = as_json ? run_tool({"stat", name, "--json"}) : run_tool({"stat", name});
        EXPECT_TRUE(stat.exited) << "signal " << stat.signal;
        EXPECT_EQ(stat.code, 1);
        EXPECT_EQ(stat.err, line);
        EXPECT_EQ(stat.out, "");
    }
    const Finished ls = run_tool({"ls", "--json"});
    EXPECT_EQ(ls.code, 0);
    bool listed = false;
    const json listing = json::parse(ls.out);
    for (const json& entry : listing.at("rings")) {
        if (entry.at("name") != name) continue;
        listed = true;
        EXPECT_EQ(entry.at("state"), damage.ls_state);
        EXPECT_EQ(entry.at("reason"), damage.reason(facts));
    }
    EXPECT_TRUE(listed) << ls.out;
}

INSTANTIATE_TEST_SUITE_P(
    EveryDamage, ToolCorruption,
    ::testing::Values(
        Damage{"truncated_below_header", [](DamagedRing& r) { r.truncate(64); },
               fixed("truncated: 64 bytes, smaller than the 128-byte header")},
        Damage{"truncated_data_area", [](DamagedRing& r) { r.truncate(L::kDataOffset + 100); },
               fixed("truncated: " + std::to_string(L::kDataOffset + 100) + " bytes, header says " + std::to_string(kTotal))},
        Damage{"wrong_magic", [](DamagedRing& r) { r.put<std::uint64_t>(0, 0x5858585858585858ULL); },
               fixed("bad magic 0x5858585858585858")},
        Damage{"unknown_version", [](DamagedRing& r) { r.put<std::uint32_t>(offsetof(L::SegmentHeader, layout_version), L::kLayoutVersion + 1); },
               fixed("unknown layout version " + std::to_string(L::kLayoutVersion + 1) + " (this tool reads " + std::to_string(L::kLayoutVersion) + ")")},
        Damage{"half_initialised", [](DamagedRing& r) { r.put<std::uint32_t>(offsetof(L::SegmentHeader, state), 0); },
               [](const Facts& f) { return "half-initialised: ready state 0x00000000 (creator pid " + f.creator_pid + ", dead)"; },
               "initialising"},
        Damage{"header_not_written", [](DamagedRing& r) { r.write_bytes(0, std::vector<char>(sizeof(L::SegmentHeader)).data(), sizeof(L::SegmentHeader)); },
               fixed("half-initialised: ready state 0x00000000, no header yet"), "initialising"},
        Damage{"geometry_out_of_range", [](DamagedRing& r) { r.put<std::uint64_t>(offsetof(L::SegmentHeader, capacity), 3); },
               fixed("geometry out of range (capacity 3, slot size 0)")},
        Damage{"producer_beyond_capacity", [](DamagedRing& r) { r.put<std::uint64_t>(L::kProducerOffset, kCapacity + 8); },
               fixed("positions out of range: producer 4104, consumer 0, capacity 4096")},
        Damage{"consumer_ahead_of_producer", [](DamagedRing& r) { r.put<std::uint64_t>(L::kConsumerOffset, 8); },
               fixed("positions out of range: producer 0, consumer 8, capacity 4096")},
        Damage{"misaligned_position", [](DamagedRing& r) { r.put<std::uint64_t>(L::kProducerOffset, 3); },
               fixed("producer position 3 is not 8-byte aligned")},
        Damage{"record_length_above_limit", [](DamagedRing& r) { record_at_start(r, 5000, 0); },
               fixed("record at position 0: length 5000 above the message limit " + std::to_string(kMaxMessage))},
        Damage{"record_past_published_data", [](DamagedRing& r) { record_at_start(r, 100, 0); },
               fixed("record at position 0: length 100 runs past the published data")},
        Damage{"record_type_out_of_range", [](DamagedRing& r) { record_at_start(r, 4, 0x80000001U); },
               fixed("record at position 0: type 0x80000001 out of range")},
        Damage{"padding_short_of_the_end", [](DamagedRing& r) { record_at_start(r, 8, L::kRecordTypePadding); },
               fixed("padding record at position 0: length 8 does not end at the end of the data area")}),
    [](const auto& info) { return std::string(info.param.label); });

TEST(ToolCorruption, shouldReportAnMpmcSlotLengthAboveTheSlotSize) {
    RingName ring("corrupt.slot");
    ASSERT_EQ(run_tool({"create", "queue", ring.str(), "--messages", "4", "--message-size", "64", "--engine", "mpmc"}).code, 0);
    ASSERT_EQ(run_tool({"send", ring.str(), "abc"}).code, 0);
    DamagedRing(ring.str()).put<std::uint32_t>(L::kDataOffset + offsetof(L::SlotHeader, length), 1000);
    const Finished stat = run_tool({"stat", ring.str()});
    EXPECT_EQ(stat.code, 1);
    EXPECT_EQ(stat.err, "shmring: " + ring.str() + ": corrupt: slot of ticket 0: length 1000 above the slot size 64\n");
}

TEST(ToolCorruption, shouldRefuseWhatIsNotARegularFileWithoutBlocking) {
    RingName directory("corrupt.dir");
    ASSERT_EQ(::mkdir(ring_file(directory.str()).c_str(), 0700), 0);
    const Finished stat = run_tool({"stat", directory.str()});
    ::rmdir(ring_file(directory.str()).c_str());
    EXPECT_EQ(stat.code, 1);
    EXPECT_EQ(stat.err, "shmring: " + directory.str() + ": corrupt: not a regular file\n");

    RingName fifo("corrupt.fifo");
    ASSERT_EQ(::mkfifo(ring_file(fifo.str()).c_str(), 0600), 0);
    const Finished piped = run_tool({"stat", fifo.str()}, {}, std::chrono::seconds(10));
    EXPECT_TRUE(piped.exited) << "a FIFO must not block the open";
    EXPECT_EQ(piped.code, 1);
    EXPECT_EQ(piped.err, "shmring: " + fifo.str() + ": corrupt: not a regular file\n");

    RingName link("corrupt.link");
    ASSERT_EQ(::symlink("/dev/null", ring_file(link.str()).c_str()), 0);
    const Finished linked = run_tool({"stat", link.str()});
    EXPECT_EQ(linked.code, 1);
    EXPECT_EQ(linked.err, "shmring: " + link.str() + ": corrupt: a symbolic link, not a ring\n");
}

TEST(ToolCorruption, shouldListEveryRingPastACorruptOne) {
    RingName good("corrupt.ls.good");
    RingName bad("corrupt.ls.bad");
    for (const RingName* ring : {&good, &bad}) ASSERT_EQ(run_tool({"create", "pipe", ring->str(), "--capacity", "4K"}).code, 0);
    DamagedRing(bad.str()).put<std::uint64_t>(0, 0);
    const Finished ls = run_tool({"ls"});
    EXPECT_EQ(ls.code, 0);
    EXPECT_NE(ls.out.find(good.str()), std::string::npos);
    EXPECT_NE(ls.out.find(bad.str()), std::string::npos);
    EXPECT_NE(ls.err.find("shmring: " + bad.str() + ": corrupt: bad magic 0x0000000000000000\n"), std::string::npos) << ls.err;
}

}  // namespace
}  // namespace shmring::testing
